/**
 * CSV in, record by record, from a stream of bytes: RFC 4180 (quoted fields with commas, quotes
 * doubled, line breaks inside quotes), CRLF or LF, a UTF-8 byte-order mark. Each record carries the
 * line it starts on, so a report can point at it. UTF-8 by default; GB18030 (a superset of GBK, as
 * Excel in China saves CSV) when asked. Bytes that are not valid in the encoding stop the parse with
 * a VALIDATION_FAILED naming the encoding, rather than importing mojibake.
 */
import { JifenError } from '@jifen/shared';

export interface CsvRecord {
  /** 1-based line where the record starts. */
  line: number;
  fields: string[];
}

export const CSV_ENCODINGS = ['utf-8', 'gb18030'] as const;
export type CsvEncoding = (typeof CSV_ENCODINGS)[number];

/** The encoding a `charset` names (utf-8 when absent); GBK and GB2312 are read as their superset GB18030. */
export function csvEncoding(charset: string | undefined): CsvEncoding {
  const c = (charset ?? 'utf-8').toLowerCase().replace(/_/g, '-');
  if (c === 'utf-8' || c === 'utf8') return 'utf-8';
  if (c === 'gb18030' || c === 'gbk' || c === 'gb2312') return 'gb18030';
  throw new JifenError('VALIDATION_FAILED', `unsupported charset ${charset}: use utf-8 or gb18030`, 'charset');
}

/** The bytes of an upload, refused (VALIDATION_FAILED) once they pass `max`. */
export async function* limited(source: AsyncIterable<Buffer>, max: number): AsyncGenerator<Buffer> {
  let size = 0;
  for await (const chunk of source) {
    size += chunk.length;
    if (size > max) throw new JifenError('VALIDATION_FAILED', `the file is larger than ${max} bytes`);
    yield chunk;
  }
}

export async function* decodeText(chunks: AsyncIterable<Buffer | Uint8Array | string>, encoding: CsvEncoding): AsyncGenerator<string> {
  const decoder = new TextDecoder(encoding, { fatal: true });
  try {
    for await (const chunk of chunks) {
      yield typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    }
    const tail = decoder.decode();
    if (tail) yield tail;
  } catch (e) {
    if (e instanceof TypeError) {
      throw new JifenError(
        'VALIDATION_FAILED',
        `the file is not valid ${encoding}${encoding === 'utf-8' ? ' (a GBK/GB18030 file? send charset=gb18030)' : ''}`,
        'charset',
      );
    }
    throw e;
  }
}

/** Parses CSV text into records; blank lines are skipped. */
export async function* parseCsv(text: AsyncIterable<string>): AsyncGenerator<CsvRecord> {
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  /** Just closed a quoted field: a second quote is an escaped quote. */
  let afterQuote = false;
  let line = 1;
  let start = 1;
  let first = true;
  let pendingCr = false;
  let any = false;
  const endRecord = (): CsvRecord | null => {
    fields.push(field);
    const rec = fields.length === 1 && fields[0] === '' && !any ? null : { line: start, fields };
    fields = [];
    field = '';
    any = false;
    return rec;
  };
  for await (let chunk of text) {
    if (first) {
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
      if (chunk.length > 0) first = false;
    }
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      // The \n of a CRLF: the line was counted (and a record ended) at the \r.
      const crlf = pendingCr && c === '\n';
      pendingCr = c === '\r';
      if (quoted) {
        if (c === '"') {
          quoted = false;
          afterQuote = true;
        } else {
          if (c === '\r' || (c === '\n' && !crlf)) line += 1;
          field += c;
        }
        continue;
      }
      if (crlf) continue;
      if (c === '"') {
        if (afterQuote) {
          field += '"';
          quoted = true;
          afterQuote = false;
        } else if (field === '') {
          quoted = true;
          any = true;
        } else {
          field += c;
        }
        continue;
      }
      afterQuote = false;
      if (c === ',') {
        fields.push(field);
        field = '';
        any = true;
      } else if (c === '\n' || c === '\r') {
        const rec = endRecord();
        line += 1;
        start = line;
        if (rec) yield rec;
      } else {
        field += c;
      }
    }
  }
  if (quoted) throw new JifenError('VALIDATION_FAILED', `line ${start}: a quoted field is not closed before the end of the file`);
  if (field !== '' || fields.length > 0 || any) {
    const rec = endRecord();
    if (rec) yield rec;
  }
}
