import { useLoad, useReachBottom } from '@tarojs/taro';
import { Button, Text, View } from '@tarojs/components';
import type { HistoryEntry } from '@jifen/shared';
import { useRef, useState } from 'react';
import { zh } from '../../../../i18n/zh';
import { ErrorNotice } from '../../../../components/ErrorNotice';
import { displayDate } from '../../../../lib/dates';
import { getHistory } from '../../../../services/member';
import './index.scss';

/** Points history, newest first, a page at a time: reason in words, pending until, expiring on. */
export default function History() {
  const [entries, setEntries] = useState<HistoryEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const inFlight = useRef(false);

  const loadMore = async (reset = false) => {
    if (inFlight.current || (done && !reset)) return;
    inFlight.current = true;
    setLoading(true);
    setError(null);
    try {
      const page = await getHistory(reset ? null : cursor);
      setEntries((prev) => {
        const seen = new Set((reset ? [] : prev).map((e) => e.id));
        return [...(reset ? [] : prev), ...page.entries.filter((e) => !seen.has(e.id))];
      });
      setCursor(page.nextCursor);
      setDone(page.nextCursor === null);
    } catch (e) {
      setError(e);
    } finally {
      inFlight.current = false;
      setLoading(false);
    }
  };

  useLoad(() => void loadMore(true));
  useReachBottom(() => void loadMore());

  return (
    <View className="page history">
      <View id="history-list">
        {entries.map((e) => (
          <View key={e.id} id={`history-entry-${e.id}`} className="card history__entry">
            <View className="row">
              <Text className="history__reason">{e.reason}</Text>
              <Text className={`history__points ${e.points >= 0 ? 'history__points--credit' : 'history__points--debit'}`}>
                {zh.common.signedPoints(e.points)}
              </Text>
            </View>
            <View className="row muted">
              <Text>{displayDate(e.createdAt)}</Text>
              {e.pending ? (
                <Text className="history__pending">
                  {zh.history.pending}
                  {e.releaseAt ? ` · ${zh.history.releaseOn(displayDate(e.releaseAt))}` : ''}
                </Text>
              ) : null}
              {e.expiresAt && e.points > 0 ? <Text>{zh.history.expiresOn(displayDate(e.expiresAt))}</Text> : null}
            </View>
          </View>
        ))}
      </View>
      {!loading && !error && entries.length === 0 && done ? (
        <Text id="history-empty" className="muted">
          {zh.history.empty}
        </Text>
      ) : null}
      <ErrorNotice id="history-error" error={error} onRetry={() => void loadMore(entries.length === 0)} />
      {loading ? <Text className="muted">{zh.common.loading}</Text> : null}
      {!done && !loading && entries.length > 0 ? (
        <Button id="history-more" className="btn-secondary" onClick={() => void loadMore()}>
          {zh.common.loadMore}
        </Button>
      ) : null}
      {done && entries.length > 0 ? (
        <Text id="history-end" className="muted">
          {zh.common.noMore}
        </Text>
      ) : null}
    </View>
  );
}
