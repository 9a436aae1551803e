import { Text } from '@tarojs/components';
import { formatYuan } from '@jifen/shared';
import './index.scss';

export interface PriceProps {
  /** Integer fen (分). */
  fen: number;
  id?: string;
  className?: string;
  /** Larger figures for totals. */
  size?: 'normal' | 'large';
}

/** The one place money is shown: ￥ with two decimals from integer fen (shared formatYuan). */
export function Price({ fen, id, className, size = 'normal' }: PriceProps) {
  // A non-integer would be a server bug; show a dash rather than a wrong amount or a crash.
  const text = Number.isSafeInteger(fen) ? formatYuan(fen) : '￥—';
  return (
    <Text id={id} className={`price price--${size}${className ? ` ${className}` : ''}`}>
      {text}
    </Text>
  );
}

export default Price;
