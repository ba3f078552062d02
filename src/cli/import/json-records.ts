/**
 * The objects of a JSON export, one at a time, whatever its size: a JSON array of objects, a
 * Parse dashboard export (`{"results": [ … ]}`), or NDJSON (one object per line). A scanner
 * that tracks only strings and nesting cuts each element out as text and parses it alone, so
 * memory holds one element, never the file. Each comes with the line it starts on.
 */
export type JsonRecord = { line: number; value: unknown } | { line: number; error: string };

type Mode = 'array' | 'results' | 'ndjson';

export class JsonRecordSplitter {
  private mode: Mode | undefined;
  private sniffed = '';
  private line = 1;
  /** Containers open around the scanner: '{' or '['. */
  private readonly stack: string[] = [];
  private inString = false;
  private escaped = false;
  private element: string[] | undefined;
  private elementLine = 0;
  private elementDepth = 0;

  /** Feeds text; answers the records completed by it. */
  push(text: string): JsonRecord[] {
    if (this.mode === undefined) {
      this.sniffed += text;
      const mode = sniff(this.sniffed);
      if (mode === undefined && this.sniffed.length < 65_536) return [];
      this.mode = mode ?? 'ndjson';
      text = this.sniffed;
      this.sniffed = '';
    }
    return this.scan(text);
  }

  /** At the end of input: what is left must be nothing but whitespace. */
  end(): JsonRecord[] {
    const records = this.mode === undefined ? ((this.mode = sniff(this.sniffed) ?? 'ndjson'), this.scan(this.sniffed)) : [];
    if (this.element && this.element.join('').trim() !== '') records.push({ line: this.elementLine, error: 'the input ends inside this object' });
    return records;
  }

  /** How deep an element sits: inside the top array, inside {"results": [, or at the top (NDJSON). */
  private get depth(): number {
    return this.mode === 'array' ? 1 : this.mode === 'results' ? 2 : 0;
  }

  private scan(text: string): JsonRecord[] {
    const records: JsonRecord[] = [];
    let start = this.element ? 0 : -1;
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (c === '\n') this.line++;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === '\\') this.escaped = true;
        else if (c === '"') this.inString = false;
        continue;
      }
      if (c === '"') {
        this.inString = true;
        continue;
      }
      if (c === '{' || c === '[') {
        if (c === '{' && this.element === undefined && this.stack.length === this.depth) {
          this.element = [];
          this.elementLine = this.line;
          this.elementDepth = this.stack.length;
          start = i;
        }
        this.stack.push(c);
      } else if (c === '}' || c === ']') {
        this.stack.pop();
        if (c === '}' && this.element !== undefined && this.stack.length === this.elementDepth) {
          this.element.push(text.slice(start, i + 1));
          records.push(parse(this.element.join(''), this.elementLine));
          this.element = undefined;
          start = -1;
        }
      }
    }
    if (this.element !== undefined && start >= 0) this.element.push(text.slice(start));
    return records;
  }
}

function sniff(head: string): Mode | undefined {
  const text = head.trimStart();
  if (text === '') return undefined;
  if (text.startsWith('[')) return 'array';
  if (/^\{\s*"results"\s*:\s*\[/.test(text)) return 'results';
  // Not enough to tell a {"results" wrapper from a first NDJSON object yet.
  if (/^\{\s*("r?e?s?u?l?t?s?"?\s*)?$/.test(text)) return undefined;
  return 'ndjson';
}

function parse(text: string, line: number): JsonRecord {
  try {
    return { line, value: JSON.parse(text) };
  } catch (error) {
    return { line, error: `is not JSON (${(error as Error).message.slice(0, 80)})` };
  }
}
