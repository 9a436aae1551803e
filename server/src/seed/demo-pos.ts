/**
 * The demo group's tills: each brand's catalogue (鲜果坊's is the one the kiosk's own demo catalogue
 * mirrors, same SKUs, barcodes and prices) and demo cashiers with PINs. Each part is added only when
 * missing, so it also completes a demo database seeded before the catalogue existed.
 */
import type { ProductInput } from '@jifen/shared';
import { UpsertProductsRequest } from '@jifen/shared';
import type { Db } from '../db/connect.js';
import { upsertProducts } from '../commands/pos-catalogue.js';
import { createStaff } from '../commands/staff.js';
import { hashPassword } from '../lib/crypto.js';
import { newToken } from '../lib/ids.js';
import { findStaffByUsername } from '../repositories/org.repository.js';
import { countProducts } from '../repositories/pos.repository.js';

/** Barcodes carry valid EAN-13 check digits; `initials` are the pinyin initials the till searches by. */
export const DEMO_PRODUCTS: Record<string, ProductInput[]> = {
  FRESH: [
    { sku: '6901234567892', barcode: '6901234567892', name: '鲜榨橙汁', initials: 'xzcz', priceFen: 1500, unit: '瓶', quickKey: 1 },
    { sku: 'F-APPLE', barcode: '6900000001011', name: '红富士苹果 500g', initials: 'hfspg', priceFen: 990, category: 'fresh', quickKey: 2 },
    { sku: 'F-BANANA', barcode: '6900000001028', name: '香蕉 500g', initials: 'xj', priceFen: 650, category: 'fresh', quickKey: 3 },
    { sku: 'F-GRAPE', barcode: '6900000001035', name: '巨峰葡萄 500g', initials: 'jfpt', priceFen: 1590, category: 'fresh', quickKey: 4 },
    { sku: 'F-CUT', barcode: '6900000001042', name: '鲜切果盒', initials: 'xqgh', priceFen: 1800, category: 'fresh', quickKey: 5 },
    { sku: 'D-WATER', barcode: '6900000001059', name: '矿泉水 550ml', initials: 'kqs', priceFen: 200, unit: '瓶', quickKey: 6 },
    { sku: 'D-COLA', barcode: '6900000001066', name: '可口可乐 330ml', initials: 'kkkl', priceFen: 350, unit: '罐' },
    { sku: 'D-YOGURT', barcode: '6900000001073', name: '原味酸奶', initials: 'ywsn', priceFen: 450, unit: '杯' },
    { sku: 'G-NUTS', barcode: '6900000001080', name: '每日坚果礼盒', initials: 'mrjglh', priceFen: 12800, unit: '盒' },
    { sku: 'G-TEA', barcode: '6900000001097', name: '茶语 龙井礼盒', initials: 'cyljlh', priceFen: 26800, unit: '盒' },
    { sku: 'BAG', barcode: '6900000001103', name: '环保购物袋', initials: 'hbgwd', priceFen: 50, quickKey: 7 },
    { sku: 'GIFT-100', name: '鲜果坊礼品卡 100元', initials: 'xgflpk', priceFen: 10000, category: 'gift_card', unit: '张' },
  ],
  TEA: [
    { sku: 'T-LONGJING', barcode: '6900000002018', name: '明前龙井 50g', initials: 'mqlj', priceFen: 16800, unit: '罐', quickKey: 1 },
    { sku: 'T-MILKTEA', barcode: '6900000002025', name: '招牌奶茶', initials: 'zpnc', priceFen: 1800, unit: '杯', quickKey: 2 },
    { sku: 'T-OOLONG', barcode: '6900000002032', name: '冻顶乌龙 100g', initials: 'ddwl', priceFen: 9800, unit: '罐' },
    { sku: 'T-CAKE', barcode: '6900000002049', name: '抹茶蛋糕', initials: 'mcdg', priceFen: 2800, category: 'fresh', quickKey: 3 },
  ],
  SPORTS: [
    { sku: 'S-SOCKS', barcode: '6900000003015', name: '运动袜 三双装', initials: 'ydw', priceFen: 3900, unit: '包', quickKey: 1 },
    { sku: 'S-BOTTLE', barcode: '6900000003022', name: '运动水壶 750ml', initials: 'ydsh', priceFen: 5900, quickKey: 2 },
    { sku: 'S-SHOES', barcode: '6900000003039', name: '跑步鞋', initials: 'pbx', priceFen: 45900, unit: '双' },
  ],
};

/** Demo till staff: username, 4-digit PIN, store. Their passwords are random (they never use the admin API). */
export const DEMO_CASHIERS = [
  { username: 'cashier', pin: '1234', storeCode: 'S001', role: 'cashier' },
  { username: 'cashier2', pin: '2345', storeCode: 'S001', role: 'cashier' },
  { username: 'tea.cashier', pin: '3456', storeCode: 'S101', role: 'cashier' },
  { username: 'manager', pin: '9999', storeCode: 'S001', role: 'store_manager' },
] as const;

export async function seedDemoPos(
  db: Db,
  now: number,
  log: (line: string) => void = () => undefined,
): Promise<{ products: number; cashiers: number }> {
  let products = 0;
  for (const [brandCode, items] of Object.entries(DEMO_PRODUCTS)) {
    const brand = await db.kysely.selectFrom('brand').select('id').where('code', '=', brandCode).executeTakeFirst();
    if (!brand || (await countProducts(db.kysely, brand.id)) > 0) continue;
    const r = await upsertProducts({ db, now: () => now }, 'seed', UpsertProductsRequest.parse({ brandCode, products: items }));
    products += r.created;
  }
  let cashiers = 0;
  for (const c of DEMO_CASHIERS) {
    if (await findStaffByUsername(db.kysely, c.username)) continue;
    const store = await db.kysely.selectFrom('store').select('id').where('code', '=', c.storeCode).executeTakeFirst();
    if (!store) continue;
    const { id } = await createStaff(db, { username: c.username, password: newToken(18), role: c.role, storeId: store.id }, now);
    await db.kysely
      .updateTable('staff')
      .set({ pin_hash: await hashPassword(c.pin) })
      .where('id', '=', id)
      .execute();
    cashiers++;
  }
  if (products) log(`catalogue: ${products} products for ${Object.keys(DEMO_PRODUCTS).join(', ')}`);
  if (cashiers) log(`till staff: ${DEMO_CASHIERS.map((c) => `${c.username} (PIN ${c.pin}, ${c.storeCode})`).join(', ')}`);
  return { products, cashiers };
}
