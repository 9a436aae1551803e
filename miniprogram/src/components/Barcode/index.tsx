import Taro from '@tarojs/taro';
import { View } from '@tarojs/components';
import { useMemo } from 'react';
import { code128Bars } from '../../lib/code128';
import './index.scss';

export interface BarcodeProps {
  text: string;
  id?: string;
  /** Height in design pixels (750 wide); the width is the container's. */
  height?: number;
}

/** A Code 128 barcode drawn as Views (percent offsets of the full width, quiet zones included). */
export function Barcode({ text, id, height = 140 }: BarcodeProps) {
  const { bars, total } = useMemo(() => {
    const { bars, totalModules } = code128Bars(text);
    return { bars, total: totalModules };
  }, [text]);
  return (
    <View id={id} className="barcode" style={{ height: Taro.pxTransform(height) }} data-code={text} data-modules={total}>
      {bars.map(([x, w]) => (
        <View
          key={x}
          className="barcode__bar"
          style={{ left: `${((x * 100) / total).toFixed(4)}%`, width: `${((w * 100) / total).toFixed(4)}%` }}
        />
      ))}
    </View>
  );
}

export default Barcode;
