import { render } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { Price } from './index';

const text = (fen: number) => render(<Price fen={fen} id="p" />).container.querySelector('#p')!.textContent;

describe('Price', () => {
  it.each([
    [12345, '￥123.45'],
    [0, '￥0.00'],
    [5, '￥0.05'],
    [100, '￥1.00'],
    [-5, '-￥0.05'],
    [-12300, '-￥123.00'],
    [999_999_999, '￥9999999.99'],
  ])('%i fen → %s', (fen, expected) => {
    expect(text(fen)).toBe(expected);
  });

  it('shows a dash, not a wrong amount, for a non-integer', () => {
    expect(text(12.5)).toBe('￥—');
    expect(text(Number.NaN)).toBe('￥—');
  });

  it('uses the full-width yuan sign U+FFE5', () => {
    expect(text(1)!.codePointAt(0)).toBe(0xffe5);
  });
});
