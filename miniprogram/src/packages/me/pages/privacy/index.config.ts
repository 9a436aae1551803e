import { PRIVACY_POLICY } from '../../../../i18n/zh';

export default definePageConfig({ navigationBarTitleText: PRIVACY_POLICY.title });
