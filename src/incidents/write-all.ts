import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { IncidentInputError } from './incidents.ts';

// Writes a set of new files, all of them or none: each goes to a temporary name beside its target,
// and only when every one is written in full are they linked to their names. Linking (not renaming)
// refuses to replace a file that appeared in the meantime. On any failure, what was linked is
// unlinked, the temporary files are removed, and folders this call created are removed again.

export interface NewFile {
  path: string;
  text: string;
}

export function writeAll(files: readonly NewFile[]): void {
  const createdFolders: { top: string; deepest: string }[] = [];
  const temporary: string[] = [];
  const linked: string[] = [];
  let failedOn = '';
  let stage: 'folder' | 'file' | 'link' = 'folder';
  try {
    for (const file of files) {
      failedOn = path.dirname(file.path);
      stage = 'folder';
      const made = mkdirSync(failedOn, { recursive: true });
      if (made !== undefined) createdFolders.push({ top: made, deepest: failedOn });
      const temp = path.join(path.dirname(file.path), `.${path.basename(file.path)}.${process.pid}.tmp`);
      failedOn = temp;
      stage = 'file';
      const fd = openSync(temp, 'wx');
      temporary.push(temp);
      try {
        writeSync(fd, file.text);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    for (const [index, file] of files.entries()) {
      failedOn = file.path;
      stage = 'link';
      linkSync(temporary[index] ?? '', file.path);
      linked.push(file.path);
    }
  } catch (error) {
    for (const file of [...linked, ...temporary]) {
      try {
        unlinkSync(file);
      } catch { // eslint-disable-line faultline/no-blind-catch -- cleaning up after a failure that is being reported
      }
    }
    for (const folders of createdFolders.reverse()) removeCreated(folders.top, folders.deepest);
    const code = (error as NodeJS.ErrnoException).code;
    let message = `cannot write ${failedOn}: ${(error as Error).message}`;
    if (stage === 'link' && code === 'EEXIST') message = `${failedOn} already exists`;
    else if (stage === 'folder' && (code === 'EEXIST' || code === 'ENOTDIR')) message = `cannot write into ${failedOn}: ${code}, a file is in the way of the folder`;
    throw new IncidentInputError(message, { cause: error });
  }
  for (const temp of temporary) unlinkSync(temp);
}

/** Removes the folders mkdir made, from `deepest` up to `top`; stops at one that is not empty. */
function removeCreated(top: string, deepest: string): void {
  for (let folder = deepest; ; folder = path.dirname(folder)) {
    try {
      rmdirSync(folder);
    } catch { // eslint-disable-line faultline/no-blind-catch -- a folder that is not empty (or gone) is left as it is
      return;
    }
    if (folder === top || path.dirname(folder) === folder) return;
  }
}
