import { Text, View } from '@tarojs/components';
import type { MemberMe } from '@jifen/shared';
import { zh } from '../../i18n/zh';
import { Price } from '../Price';
import './index.scss';

export interface TierProgressProps {
  tier: MemberMe['tier'];
  progress: MemberMe['progress'];
}

/** "黄金会员 · 再消费￥38.00升级铂金会员": the amount through <Price>, the server's text at the top tier. */
export function TierProgress({ tier, progress }: TierProgressProps) {
  return (
    <View id="tier-progress" className="tier-progress">
      <Text id="tier-name" className="tier-progress__tier">
        {zh.home.tier(tier.name)}
      </Text>
      {progress.next && progress.fenNeeded !== null ? (
        <View id="tier-next" className="tier-progress__next">
          <Text>{zh.tier.upgrade.before}</Text>
          <Price fen={progress.fenNeeded} id="tier-fen-needed" />
          <Text>{zh.tier.upgrade.after(progress.next.name)}</Text>
        </View>
      ) : (
        <Text id="tier-next" className="tier-progress__next">
          {progress.text || zh.tier.top}
        </Text>
      )}
    </View>
  );
}

export default TierProgress;
