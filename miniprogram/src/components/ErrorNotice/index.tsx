import { Button, Text, View } from '@tarojs/components';
import { zh } from '../../i18n/zh';
import { errorCode, errorMessage } from '../../services/errors';
import './index.scss';

export interface ErrorNoticeProps {
  error: unknown;
  id?: string;
  onRetry?: () => void;
  /** Message to show instead of the one for the error's code. */
  message?: string;
}

/** A failed request in words: the Chinese message for its code, the code itself small (for support), and a retry. */
export function ErrorNotice({ error, id = 'error-notice', onRetry, message }: ErrorNoticeProps) {
  if (!error) return null;
  const code = errorCode(error);
  return (
    <View id={id} className="error-notice" data-code={code}>
      <Text className="error-notice__message">{message ?? errorMessage(error)}</Text>
      <Text className="error-notice__code">{zh.common.errorCode(code)}</Text>
      {onRetry ? (
        <Button id={`${id}-retry`} className="error-notice__retry" size="mini" onClick={onRetry}>
          {zh.common.retry}
        </Button>
      ) : null}
    </View>
  );
}

export default ErrorNotice;
