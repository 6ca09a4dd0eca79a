import { MAX_NOTE_LENGTH, MAX_NOTES } from './limits.ts';
import { cut, isObjectLike, safeString } from './safe-read.ts';

/**
 * Notes live on the error under a `Symbol.for` key, so every copy of faultline in the process
 * (and anything else that knows the key) sees them. Errors that cannot take a property (frozen,
 * sealed, Proxies that refuse) keep their notes in a WeakMap that is also shared process-wide.
 */
const NOTES_KEY = Symbol.for('faultline.notes');
const FALLBACK_KEY = Symbol.for('faultline.notes.fallback.v1');

type GlobalWithNotes = typeof globalThis & { [FALLBACK_KEY]?: WeakMap<object, string[]> };

function fallbackNotes(): WeakMap<object, string[]> {
  const holder = globalThis as GlobalWithNotes;
  let map = holder[FALLBACK_KEY];
  if (!(map instanceof WeakMap)) {
    map = new WeakMap();
    holder[FALLBACK_KEY] = map;
  }
  return map;
}

function ownNotes(target: object): unknown {
  try {
    const descriptor = Object.getOwnPropertyDescriptor(target, NOTES_KEY);
    return descriptor !== undefined && 'value' in descriptor ? descriptor.value : undefined;
  } catch { // eslint-disable-line faultline/no-blind-catch -- a value from the app may throw from any read (getters, proxies)
    return undefined;
  }
}

function pushInto(list: unknown, note: string): boolean {
  try {
    if (!Array.isArray(list)) return false;
    list.push(note);
    return true;
  } catch { // eslint-disable-line faultline/no-blind-catch -- a frozen notes array refuses the push; the caller falls back
    // frozen array
    return false;
  }
}

/**
 * Attaches a line of context to a thrown value, like Python's `add_note`. Works on any object,
 * including frozen ones; a primitive cannot carry notes, so that call does nothing and returns
 * false. Returns true when the note was stored. Never throws. At most 16 notes of 1024
 * characters are kept per error; further notes are dropped.
 */
export function addNote(err: unknown, note: string): boolean {
  if (!isObjectLike(err)) return false;
  const text = safeString(note, MAX_NOTE_LENGTH);
  try {
    if (notesOf(err).length >= MAX_NOTES) return false;
    const existing = ownNotes(err);
    if (pushInto(existing, text)) return true;
    if (existing === undefined && isExtensible(err)) {
      try {
        Object.defineProperty(err, NOTES_KEY, { value: [text], writable: true, configurable: true, enumerable: false });
        return true;
      } catch { // eslint-disable-line faultline/no-blind-catch -- a Proxy may refuse the property; the side table holds the notes instead
      }
    }
    const map = fallbackNotes();
    const list = map.get(err);
    if (list === undefined) map.set(err, [text]);
    else list.push(text);
    return true;
  } catch { // eslint-disable-line faultline/no-blind-catch -- a value from the app may throw from any read (getters, proxies)
    return false;
  }
}

function isExtensible(target: object): boolean {
  try {
    return Object.isExtensible(target);
  } catch { // eslint-disable-line faultline/no-blind-catch -- Object.isExtensible throws only for a revoked Proxy
    return false;
  }
}

/** The notes attached to a thrown value, oldest first (empty for primitives). Never throws. */
export function notesOf(err: unknown): readonly string[] {
  if (!isObjectLike(err)) return [];
  const notes: string[] = [];
  const collect = (list: unknown): void => {
    try {
      if (!Array.isArray(list)) return;
      const length = Math.min(list.length, MAX_NOTES);
      for (let index = 0; index < length && notes.length < MAX_NOTES; index++) {
        const item: unknown = list[index];
        if (typeof item === 'string') notes.push(cut(item, MAX_NOTE_LENGTH));
      }
    } catch { // eslint-disable-line faultline/no-blind-catch -- an unreadable notes list keeps what was read
    }
  };
  collect(ownNotes(err));
  try {
    collect(fallbackNotes().get(err));
  } catch { // eslint-disable-line faultline/no-blind-catch -- WeakMap.get throws for a key no WeakMap can hold: nothing is stored there
  }
  return notes;
}
