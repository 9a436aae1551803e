import { describe, expect, it } from 'vitest';
import { UpsertProductsRequest, validRetailBarcode } from './catalogue.js';
import { CreatePosOrderRequest } from './pos.js';

describe('validRetailBarcode', () => {
  it('accepts EAN-13, EAN-8 and UPC-A with the right check digit', () => {
    for (const code of ['6901234567892', '4006381333931', '96385074', '036000291452']) expect(validRetailBarcode(code)).toBe(true);
  });

  it('refuses a wrong check digit, other lengths, and anything but digits', () => {
    for (const code of ['6901234567893', '690123456789', '12345', '69012345678920', '690123456789X', ' 6901234567892'])
      expect(validRetailBarcode(code)).toBe(false);
  });
});

describe('UpsertProductsRequest', () => {
  const product = { sku: 'A-1', name: '苹果', priceFen: 990 };

  it('defaults a product to active and lower-cases its pinyin initials', () => {
    const parsed = UpsertProductsRequest.parse({ brandCode: 'FRESH', products: [{ ...product, initials: 'PG' }] });
    expect(parsed.products[0]).toMatchObject({ active: true, initials: 'pg' });
  });

  it('names the field of a SKU or barcode given twice, and of a fractional price', () => {
    const twice = UpsertProductsRequest.safeParse({ brandCode: 'FRESH', products: [product, { ...product, name: '又一个' }] });
    expect(twice.success || twice.error.issues[0]?.path).toEqual(['products', 1, 'sku']);
    const barcodes = UpsertProductsRequest.safeParse({
      brandCode: 'FRESH',
      products: [
        { ...product, barcode: '6901234567892' },
        { ...product, sku: 'A-2', barcode: '6901234567892' },
      ],
    });
    expect(barcodes.success || barcodes.error.issues[0]?.path).toEqual(['products', 1, 'barcode']);
    const fen = UpsertProductsRequest.safeParse({ brandCode: 'FRESH', products: [{ ...product, priceFen: 9.9 }] });
    expect(fen.success || fen.error.issues[0]?.path).toEqual(['products', 0, 'priceFen']);
  });
});

describe('CreatePosOrderRequest', () => {
  const base = { clientOrderId: 'sale-0001', lines: [{ sku: 'A', name: 'a', qty: 1, unitPriceFen: 100 }] };

  it('takes a member reference, a shift and an offline cash sale', () => {
    const parsed = CreatePosOrderRequest.parse({
      ...base,
      member: { ref: 'JFK1.abc.def.ghi.0123456789abcdef0123' },
      shiftId: 'SH0123456789',
      payment: { method: 'cash' },
      offlineSale: { deviceTime: '2026-03-10T10:00:00+08:00' },
    });
    expect(parsed.offlineSale?.deviceTime).toBe('2026-03-10T10:00:00+08:00');
  });

  it('refuses an offline sale paid by WeChat or with points, and a device time without an offset', () => {
    const wechat = CreatePosOrderRequest.safeParse({
      ...base,
      payment: { method: 'wechat_native' },
      offlineSale: { deviceTime: '2026-03-10T02:00:00Z' },
    });
    expect(wechat.success || wechat.error.issues[0]?.path).toEqual(['offlineSale']);
    const points = CreatePosOrderRequest.safeParse({
      ...base,
      member: { phone: '13800138000' },
      redeemPoints: 10,
      payment: { method: 'cash' },
      offlineSale: { deviceTime: '2026-03-10T02:00:00Z' },
    });
    expect(points.success).toBe(false);
    const local = CreatePosOrderRequest.safeParse({
      ...base,
      payment: { method: 'cash' },
      offlineSale: { deviceTime: '2026-03-10 10:00' },
    });
    expect(local.success).toBe(false);
  });
});
