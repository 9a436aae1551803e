import { Button, Input, Text, View } from '@tarojs/components';
import { useState } from 'react';
import { zh } from '../../i18n/zh';
import { buttonState } from '../../lib/button';
import { isApiError } from '../../services/errors';
import { answerNps } from '../../services/nps';
import { ErrorNotice } from '../ErrorNotice';
import './index.scss';

export interface NpsQuestionProps {
  /** The paid order the answer is about (one answer per order). */
  orderId: number;
  /** Which purchase, when it is not the one on screen (the member card asks about a till purchase). */
  about?: string;
  /** Called when the shopper skips the question. */
  onSkip?: () => void;
}

type Phase = 'asking' | 'sending' | 'thanks' | 'already' | 'skipped';

const SCORES = Array.from({ length: 11 }, (_, i) => i);

/**
 * "How likely are you to recommend us?" 0–10, shown once an order is paid. Nothing is sent until the shopper
 * picks a score and submits; an order rated before (on another device, or before a reload) is thanked, not
 * asked again.
 */
export function NpsQuestion({ orderId, about, onSkip }: NpsQuestionProps) {
  const [score, setScore] = useState<number | null>(null);
  const [comment, setComment] = useState('');
  const [phase, setPhase] = useState<Phase>('asking');
  const [error, setError] = useState<unknown>(null);

  if (phase === 'skipped') return null;
  if (phase === 'thanks' || phase === 'already') {
    return (
      <View id="nps" className="card nps" data-phase={phase}>
        <Text id="nps-thanks" className="nps__thanks">
          {phase === 'thanks' ? zh.nps.thanks : zh.nps.already}
        </Text>
      </View>
    );
  }

  const submit = async () => {
    if (score === null || phase !== 'asking') return;
    setError(null);
    setPhase('sending');
    try {
      await answerNps(orderId, score, comment);
      setPhase('thanks');
    } catch (e) {
      if (isApiError(e) && e.code === 'IDEMPOTENCY_CONFLICT') {
        setPhase('already');
        return;
      }
      setError(e);
      setPhase('asking');
    }
  };

  return (
    <View id="nps" className="card nps" data-phase={phase}>
      {about ? (
        <Text id="nps-about" className="muted nps__about">
          {about}
        </Text>
      ) : null}
      <Text className="nps__question">{zh.nps.question}</Text>
      <View className="nps__scores">
        {SCORES.map((n) => (
          <Button
            key={n}
            id={`nps-score-${n}`}
            size="mini"
            className={`nps__score${score === n ? ' nps__score--selected' : ''}`}
            data-selected={score === n ? 'true' : 'false'}
            onClick={() => setScore(n)}
          >
            {String(n)}
          </Button>
        ))}
      </View>
      <View className="row nps__ends">
        <Text className="muted">{zh.nps.low}</Text>
        <Text className="muted">{zh.nps.high}</Text>
      </View>
      <Input
        id="nps-comment"
        className="field__input nps__comment"
        type="text"
        maxlength={500}
        value={comment}
        placeholder={zh.nps.commentPlaceholder}
        onInput={(e) => setComment(e.detail.value)}
      />
      <Button
        id="nps-submit"
        {...buttonState('btn-primary', score === null || phase !== 'asking')}
        loading={phase === 'sending'}
        onClick={() => void submit()}
      >
        {phase === 'sending' ? zh.nps.submitting : zh.nps.submit}
      </Button>
      <Button
        id="nps-skip"
        className="btn-secondary"
        onClick={() => {
          setPhase('skipped');
          onSkip?.();
        }}
      >
        {zh.nps.skip}
      </Button>
      <ErrorNotice id="nps-error" error={error} />
    </View>
  );
}

export default NpsQuestion;
