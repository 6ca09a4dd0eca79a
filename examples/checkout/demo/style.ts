// Colour for a terminal only: piped or redirected output (CI logs, files) stays plain text.

export interface Style {
  bold: (text: string) => string;
  dim: (text: string) => string;
  red: (text: string) => string;
  yellow: (text: string) => string;
  green: (text: string) => string;
  cyan: (text: string) => string;
  magenta: (text: string) => string;
}

export function colourWanted(stream: { isTTY?: boolean }, env: Readonly<Record<string, string | undefined>>): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export function createStyle(enabled: boolean): Style {
  const sgr = (open: number, close: number) => (text: string) => (enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text);
  return { bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), yellow: sgr(33, 39), green: sgr(32, 39), cyan: sgr(36, 39), magenta: sgr(35, 39) };
}

/** Server-side failures in red (they page someone), the client's in yellow. */
export function categoryColour(style: Style, category: string): (text: string) => string {
  return ['dependency', 'timeout', 'internal', 'cancelled'].includes(category) ? style.red : style.yellow;
}
