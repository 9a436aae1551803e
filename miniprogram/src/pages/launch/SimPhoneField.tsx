import { Input, Text, View } from '@tarojs/components';
import { zhSim } from '../../i18n/zh';

export interface SimPhoneFieldProps {
  value: string;
  error: string | null;
  onChange: (value: string) => void;
}

/**
 * H5 sandbox only (rendered under `JIFEN_SIM`, a build-time literal that is false for weapp, so this file is
 * not in the mini-program): a typed test phone number the WeChat simulator turns into a phone code.
 */
export function SimPhoneField({ value, error, onChange }: SimPhoneFieldProps) {
  return (
    <View className="field" id="signup-sim-phone-field">
      <Text className="field__label">{zhSim.phoneLabel}</Text>
      <Input
        id="signup-sim-phone"
        className="field__input"
        type="number"
        maxlength={11}
        value={value}
        placeholder={zhSim.phonePlaceholder}
        onInput={(e) => onChange(e.detail.value)}
      />
      <Text className="muted">{zhSim.phoneHint}</Text>
      {error ? <Text className="field__error">{error}</Text> : null}
    </View>
  );
}

export default SimPhoneField;
