import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../main/config.js';
import { SalesLog } from '../main/sales-log.js';
import { hasValidEanCheckDigit } from '../main/devices/scan-codes.js';
import { FakePosApi } from '../shared/fake-pos-api.js';
import { PosApiError } from '../shared/pos-api.js';
import { DEMO_CATALOGUE, InterimPosApi } from './interim-pos-api.js';

class OldServer extends FakePosApi {
  override async signIn(): Promise<never> {
    throw new PosApiError('ENDPOINT_MISSING', 'no route', { status: 404 });
  }
  override async lookupProduct(): Promise<never> {
    throw new PosApiError('ENDPOINT_MISSING', 'no route', { status: 404 });
  }
  override async lookupMember(): Promise<never> {
    throw new PosApiError('ENDPOINT_MISSING', 'no route', { status: 404 });
  }
}

describe('interim answers for endpoints the server lacks', () => {
  it('signs in given staff only, and keeps the shift until it closes', async () => {
    const api = new InterimPosApi(new OldServer(), {
      staff: [{ username: 'li', pin: '5678', name: '李四' }],
      catalogue: DEMO_CATALOGUE,
      config: () => DEFAULT_CONFIG,
      salesLog: await SalesLog.open(null),
    });
    await expect(api.signIn({ username: 'li', pin: '0000' })).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    await expect(api.signIn({ username: 'nobody', pin: '5678' })).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    const first = await api.signIn({ username: 'li', pin: '5678', openingFloatFen: 10000 });
    expect(first).toMatchObject({ staff: { name: '李四' }, shift: { openingFloatFen: 10000, resumed: false } });
    expect(await api.signIn({ username: 'li', pin: '5678' })).toMatchObject({ shift: { shiftId: first.shift.shiftId, resumed: true } });
  });

  it('answers products from the catalogue and members unverified; never hides a real answer', async () => {
    const api = new InterimPosApi(new OldServer(), {
      staff: [],
      catalogue: DEMO_CATALOGUE,
      config: () => DEFAULT_CONFIG,
      salesLog: await SalesLog.open(null),
    });
    expect(await api.lookupProduct('6900000001011')).toMatchObject({ sku: 'F-APPLE', category: 'fresh' });
    await expect(api.lookupProduct('0000000000000')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await api.lookupMember({ phone: '13900139000' })).toMatchObject({ maskedPhone: '139****9000', unverified: true });
    // An endpoint the server has is used as is.
    const full = new InterimPosApi(new FakePosApi(), {
      staff: [],
      catalogue: DEMO_CATALOGUE,
      config: () => DEFAULT_CONFIG,
      salesLog: await SalesLog.open(null),
    });
    expect(await full.lookupMember({ phone: '13900139000' })).toMatchObject({ maskedName: '王**' });
    await expect(full.signIn({ username: 'li', pin: '5678' })).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
  });

  it('the demo catalogue’s barcodes are valid EAN-13', () => {
    for (const p of DEMO_CATALOGUE) if (p.barcode) expect(hasValidEanCheckDigit(p.barcode), p.name).toBe(true);
  });
});
