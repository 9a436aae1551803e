import { describe, expect, it } from 'vitest';
import { csvEncoding, decodeText, parseCsv } from './import-csv.js';
import { CSV_BOM, csvCell, csvChunks, csvLine } from './report-csv.js';

async function* from(...chunks: string[]) {
  for (const c of chunks) yield c;
}

async function records(...chunks: string[]) {
  const out = [];
  for await (const r of parseCsv(from(...chunks))) out.push(r);
  return out;
}

describe('parseCsv', () => {
  it('reads quoted commas, doubled quotes, line breaks inside quotes, and numbers each record by its first line', async () => {
    const text = `${CSV_BOM}a,b\r\n"x, y","say ""hi"""\r\n"two\r\nlines",z\r\n\r\nlast,one`;
    expect(await records(text)).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x, y', 'say "hi"'] },
      { line: 3, fields: ['two\r\nlines', 'z'] },
      { line: 6, fields: ['last', 'one'] },
    ]);
  });

  it('gives the same records however the text is cut into chunks', async () => {
    const text = 'id,name\r\n1,"a ""b"", c"\r\n2,"d\ne"\n3,\r\n';
    const whole = await records(text);
    for (let cut = 1; cut < text.length; cut++) expect(await records(text.slice(0, cut), text.slice(cut))).toEqual(whole);
    expect(whole.map((r) => r.line)).toEqual([1, 2, 3, 5]);
  });

  it('keeps empty fields and a lone CR as a line end', async () => {
    expect(await records(',\r1,,3')).toEqual([
      { line: 1, fields: ['', ''] },
      { line: 2, fields: ['1', '', '3'] },
    ]);
  });

  it('400 VALIDATION_FAILED for a quote left open at the end', async () => {
    await expect(records('a\n"open')).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('line 2') });
  });
});

describe('decodeText', () => {
  async function decode(bytes: number[][], charset?: string) {
    let s = '';
    for await (const t of decodeText(toChunks(bytes), csvEncoding(charset))) s += t;
    return s;
  }
  async function* toChunks(bytes: number[][]) {
    for (const b of bytes) yield Uint8Array.from(b);
  }

  it('decodes UTF-8 split inside a character', async () => {
    const bytes = [...Buffer.from('张三')];
    expect(await decode([bytes.slice(0, 2), bytes.slice(2)])).toBe('张三');
  });

  it('reads GBK as GB18030 and refuses it as UTF-8', async () => {
    expect(await decode([[0xcd, 0xf5, 0xce, 0xe5]], 'GBK')).toBe('王五');
    await expect(decode([[0xcd, 0xf5, 0xce, 0xe5]])).rejects.toMatchObject({ code: 'VALIDATION_FAILED', field: 'charset' });
    expect(() => csvEncoding('latin1')).toThrow(/unsupported charset/);
  });
});

describe('CSV out', () => {
  it('quotes what needs it and defuses formulas', () => {
    expect(csvLine([1, 'a,b', 'say "x"', null, 'line\nbreak', true, '=SUM(A1)', '-5', '@x', '平常'])).toBe(
      `1,"a,b","say ""x""",,"line\nbreak",true,'=SUM(A1),'-5,'@x,平常\r\n`,
    );
    expect(csvCell(-5)).toBe('-5');
  });

  it('starts with a byte-order mark and a header, and gathers lines into chunks', async () => {
    async function* rows() {
      for (let i = 0; i < 5000; i++) yield { id: i, name: `member ${i}` };
    }
    const chunks: string[] = [];
    for await (const c of csvChunks(['id', 'name'], rows())) chunks.push(c);
    const text = chunks.join('');
    expect(text.startsWith(`${CSV_BOM}id,name\r\n0,member 0\r\n`)).toBe(true);
    expect(text.split('\r\n').length - 1).toBe(5001);
    expect(chunks.length).toBeGreaterThan(2);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThan(40 * 1024);
  });
});
