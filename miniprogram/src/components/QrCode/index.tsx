import Taro from '@tarojs/taro';
import { View } from '@tarojs/components';
import { useMemo } from 'react';
import { darkRects, encodeQr } from '../../lib/qr';
import './index.scss';

export interface QrCodeProps {
  text: string;
  id?: string;
  /** Side length in design pixels (750 wide), quiet zone included. */
  size?: number;
}

const QUIET = 4;

const pct = (n: number, of: number) => `${((n * 100) / of).toFixed(4)}%`;

/**
 * A QR code drawn as absolutely positioned Views (percentages of a square box): no canvas, no network,
 * identical in weapp and H5. The encoded text is on `data-code` for tests and browser checks.
 */
export function QrCode({ text, id, size = 400 }: QrCodeProps) {
  const { rects, side } = useMemo(() => {
    const qr = encodeQr(text);
    return { rects: darkRects(qr.modules), side: qr.size + 2 * QUIET };
  }, [text]);
  return (
    <View
      id={id}
      className="qr-code"
      style={{ width: Taro.pxTransform(size), height: Taro.pxTransform(size) }}
      data-code={text}
      data-modules={side - 2 * QUIET}
    >
      {rects.map(([row, col, w, h]) => (
        <View
          key={`${row}-${col}`}
          className="qr-code__dark"
          // A hair of overlap so neighbouring rectangles never leave an anti-aliased seam.
          style={{ left: pct(col + QUIET, side), top: pct(row + QUIET, side), width: pct(w + 0.04, side), height: pct(h + 0.04, side) }}
        />
      ))}
    </View>
  );
}

export default QrCode;
