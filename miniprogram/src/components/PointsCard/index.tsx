import { Text, View } from '@tarojs/components';
import type { MemberMe } from '@jifen/shared';
import { zh } from '../../i18n/zh';
import { displayDate } from '../../lib/dates';
import { groupDigits } from '../../lib/format';
import './index.scss';

export interface PointsCardProps {
  points: MemberMe['points'];
}

/** Available, pending (return window) and expiring-within-30-days points. */
export function PointsCard({ points }: PointsCardProps) {
  return (
    <View id="points-card" className="points-card">
      <View className="points-card__main">
        <Text className="points-card__label">{zh.home.balance}</Text>
        <Text id="points-balance" className="points-card__balance">
          {groupDigits(points.balance)}
        </Text>
      </View>
      <View className="points-card__row">
        <View className="points-card__cell">
          <Text className="points-card__label">{zh.home.pending}</Text>
          <Text id="points-pending" className="points-card__value">
            {groupDigits(points.pending)}
          </Text>
          <Text className="points-card__note">{zh.home.pendingHint}</Text>
        </View>
        <View className="points-card__cell">
          <Text className="points-card__label">{zh.home.expiringSoon}</Text>
          <Text id="points-expiring" className="points-card__value">
            {groupDigits(points.expiringSoon)}
          </Text>
          <Text className="points-card__note">
            {points.expiringSoon > 0 && points.expiringSoonDate
              ? zh.home.expiringOn(displayDate(points.expiringSoonDate))
              : zh.home.noneExpiring}
          </Text>
        </View>
      </View>
    </View>
  );
}

export default PointsCard;
