/**
 * The simulator's signer, verifier, AES-GCM and v2 signing reproduce the published vectors
 * (/work/shared/docs/wechat-platform.md §7 and /work/shared/vectors/wechatpay/*.mjs), copied here as literals.
 */
import { createHash, createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  AUTHORIZATION_ORDERS,
  aesGcmDecrypt,
  aesGcmEncrypt,
  buildAuthorization,
  buildMiniProgramPaySign,
  buildRequestSignature,
  certificateSerial,
  parseAuthorization,
  rsaSign,
  signResponse,
  v2Sign,
  v2Verify,
  verifyNotificationSignature,
  verifyWechatpaySignature,
  xmlBuild,
  xmlParse,
} from './crypto.js';
import { buildEnvelope } from './notify.js';
import { transactionJson, type Order } from './orders.js';
import { createSelfSignedCertificate } from './x509.js';
import {
  DOC_WECHATPAY_PUBLIC_KEY,
  GO_NOTIFICATION,
  GO_SIGN_SOURCE_EXPECTED,
  GO_TEST_CERTIFICATE,
  GO_TEST_PRIVATE_KEY,
  JAVA_CERTIFICATES_RESPONSE,
} from './fixtures/vectors.js';

const key = (name: string): string => readFileSync(new URL(`../keys/${name}`, import.meta.url), 'utf8');
const DOC_KEY = key('apiclient_test_key.pem');
const WX_PRIVATE = key('wechat_pay_private_key.pem');
const WX_PUBLIC = key('wechat_pay_public_key.pem');

// §7 A: the documentation's test key, ts and nonce.
const TS = 1554208460;
const NONCE = '593BEC0C930BF1AFEB40B4A08C8FB242';
const JSAPI_BODY =
  '{"appid":"wxd678efh567hg6787","mchid":"1900007291","description":"Image形象店-深圳腾大-QQ公仔","out_trade_no":"1217752501201407033233368018","notify_url":"https://www.weixin.qq.com/wxpay/pay.php","amount":{"total":100,"currency":"CNY"},"payer":{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}}';
const JSAPI_SIG =
  'jnks4dlrPw3ZX+ozVvSK39oa0t7OMBsg83BHAwd8BRdUFiVaQNTLTvci+wURgP1OQBbKYhFGvt7iqYpDSTQkp7Uq1sltaQKyncCyrA1g88m5bsKERQfPyT0ahSwKTYJ1CAn9QiJuSJRq1QsQs07eehbU/k9BCS51jTyc1Jpsi2H77HF9f/BnjXAOP3/sPObg6V5Ee4EzwLox684hhuMuIwHo7D8KFk3LIHOKDcNI4It1aCXydFWNpNK+SG86VUDe5kwoDpw4Ulqfu9z8OFDGbDs9TCxEv8iqQzbpxOlEVoOe2kalSYM5kApQb3nZcxdUtoE0liJGW3RGUNE0t4v01A==';
const REFUND_GET_SIG =
  'Lc9VXxmeonkdV8Xk9tmigQFLhl0vRWTerdmoRu01aAnYwIrD/5nsSwE1WlmZGLRlAFTNQ3QsMa0+VRDlJp1Wp5p0nO8EK68b5sJBbjouxaFciIfq1zfDWWz+jqhcMoKXI1A6dPm1AW7D4d30WsMTNzp6g23OXakIsh9LO3lUmwvTuE0BY8ncf6tNGk4wKmvXwERd/ZpoQY3MAVKz+Nakwc+2XBmzT66KcUehU5kr4IvGa/lEU5RZb/q00zP9VLdBhC/jQSX3X1UcJLCtEc4gTmib4tnmAT+bHF/e17ZAuxDNcx6rqT8gNEXqaJGG+1OflMSTU2tpyG65G4dMKdFcoA==';
const PAY_SIGN =
  'mI35pfNEQV6777ke/1T+LJLQDNTm7yeoUJH+j/adPGhmCCi0PbgkvYQTRcXH0uibcLVtvFLdGLpmoYO9FV6lBBsTAjuhh5YOvQi0e2g3e0yytitiNET9FEuqM0pjnKfRW4K6LIZDdbWJv9KhZUx3DrJa5TL7OJ7VdADVivxVySIlPVKjGwuCXzuXSJes0UcILgWQUMyha5/3nYofuHtS7r+KYyMuxD+oJ9VM1Qdxk4UIG59CP5Y3wtYIFybyF3bdu1caHTRRX+DLyMXyYA/IrTmiW01c4RPjpHBX5Dk1sZyY1zVsWNsvMHr2e1NTWtBxKJ+qk5N61J7caYoepHFaxw==';
const APP_SIGN =
  'gXx9KhTP6IooKV1SuG3OCGlBIgZbKtubCZvnau6khw1iffvNT28IzLbKmztq2xA/RCNbZa1XOsoiuVmAEeTZQicWfhv4P+O4oBRIrx0X9f3cnWFkMBU9alTWs0nyQ1N9fcILOTe0f4kxOhVh+/Xhn5hOiUK7Sz3XA1mcpa3R2NCWf/e+0ow/RDf15iTymOHgDrEkT/gedg/3E0iXfDX3mFicSZhrHESZDOTXcl9RzELREBUFznd/o2NQM99WcL86m23HY0cTy+QGWU4QDmNrbQ9ihmLW71qPb0Cx/d7EQvw/Kyx0A6s64ZQp3hHdcmiRcLnjVXrKCk7LShaCK+lS3Q==';

// §7 B: the documentation's public-key-mode response verification example.
const DOC_RESPONSE = {
  serial: 'PUB_KEY_ID_0000000000000024101100397200000006',
  timestamp: '1722850421',
  nonce: 'd824f2e086d3c1df967785d13fcd22ef',
  body: '{"code_url":"weixin://wxpay/bizpayurl?pr=JyC91EIz1"}',
  signature:
    'mfI1CPqvBrgcXfgXMFjdNIhBf27ACE2YyeWsWV9ZI7T7RU0vHvbQpu9Z32ogzc+k8ZC5n3kz7h70eWKjgqNdKQF0eRp8mVKlmfzMLBVHbssB9jEZEDXThOX1XFqX7s7ymia1hoHQxQagPGzkdWxtlZPZ4ZPvr1RiqkgAu6Is8MZgXXrRoBKqjmSdrP1N7uxzJ/cjfSiis9FiLjuADoqmQ1P7p2N876YPAol7Rn0+GswwAwxldbdLrmVSjfytfSBJFqTMHn4itojgxSWWN1byuckQt8hSTEv/Lg97QoeGniYP17T80pJeQyL3b+295FPHSO2AtvCgyIbKMZ0BALilAA==',
};

// §7 D: wechatpay-java AeadAesCipherTest / TestConfig.API_V3_KEY.
const JAVA_V3_KEY = 'a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb';

// derived_notification.mjs golden values (built with the java test keys, fixed nonce and timestamp).
const DERIVED = {
  plaintext:
    '{"mchid":"1230000109","appid":"wxd678efh567hg6787","out_trade_no":"1217752501201407033233368018","transaction_id":"4200000000202401010000000001","trade_type":"JSAPI","trade_state":"SUCCESS","trade_state_desc":"支付成功","bank_type":"OTHERS","attach":"","success_time":"2024-01-01T12:00:00+08:00","payer":{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},"amount":{"total":100,"payer_total":100,"currency":"CNY","payer_currency":"CNY"}}',
  ciphertext:
    'Y/YEfUnbjBvKjySBXpexHPMC5wc2rJu0ma+GDqJJTec+dUFFEmUAr1GSevciGbQaxBCU90ZRIDRRP3k0Q8C6+HrJ5eTgbTaEORoE2mN6L4zvytbkDjceOOVX+PcO8zfSqWelbBn/HTARoR/IJ8vaYvibDUCkftT9CMoL36cXDNRe98MeVE1hdSpKJPMWc44QDRnfSbdOmoGrYDrGIuaq+H4d277delFR1T00HFNYZvZPuIms2CHx3sOaWHZLStwaZQMkwM7dTb2AZMK6kuek1ZhPBVPRl3r/wvKKx59r/dZSePKbSZ9QVvW4aaBMA4XS98rlzg37g5ULu4yU8oCYBGIeaCRgXYBPosViGRKHb1iX4E+c2TMlR3NVdckPH0fXzyCOqGyth6ceFG8ZVOYrX6+Srw3a0qrk7AG2pvIfy9WkbaOU+e4vTIhoO4k6LLQDSwsHgmXJV9kxFfLxrjEFktpQWAdJ2dFuMq1y5wPMTC/Svw+8b6V8tqfVBsxifA0josngM+SrMoQylk0ucQWvxQsPbjPH4RfLLytfnph5UBo4QtXds8tskhaoaXq4yoz36uKhPhYZaUoK7SuEj4Oa',
  signature:
    'GMMFnf/o+mUkqAbiPnFdcipv578Coys02Y8lQMtusOhDLeF5kOG5osbrUKngDmfEEa05oMME7/8Di37PrR6hFZkuBJnoqBMgaE9OFdgEFwHeUH6ozjr/IrG0ijYAY6el4mDJJwsPFo76bDij3tfCaaQLcpCwF+UYmKrmmcKRbAPlhLBaH2Nz1fHhRyb8w3smt2gCB1El3HnyPP0Wxgq0yGZPEEZcokumXq2t/UtT++9nzFOYFTKfQq5LiDq7pdOaleDBR4rAuhxo+7P14cymyVBic/PIIDq0+SfgBRgoO7IvkXCQ9X902GWG+UHYTGtomPftdfEN06x3e+5JxSkoPQ==',
  bodySha256: '47113ab288dedb2e596e69112ce2e7fadcba9985a940626c2c87961db4b2dfa2',
};

describe('request signatures (§1, §7 A)', () => {
  it('reproduces the documentation POST /v3/pay/transactions/jsapi signature', () => {
    expect(
      buildRequestSignature({
        method: 'POST',
        url: '/v3/pay/transactions/jsapi',
        timestamp: TS,
        nonce: NONCE,
        body: JSAPI_BODY,
        privateKey: DOC_KEY,
      }),
    ).toBe(JSAPI_SIG);
  });

  it('reproduces the GET refund signature (empty body → message ends "\\n\\n") and the full Authorization example', () => {
    expect(
      buildRequestSignature({
        method: 'GET',
        url: '/v3/refund/domestic/refunds/123123123123',
        timestamp: TS,
        nonce: NONCE,
        privateKey: DOC_KEY,
      }),
    ).toBe(REFUND_GET_SIG);
    const header = buildAuthorization({
      mchid: '1900007291',
      serialNo: '408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB',
      privateKey: DOC_KEY,
      method: 'GET',
      url: '/v3/refund/domestic/refunds/123123123123',
      timestamp: TS,
      nonce: NONCE,
      order: AUTHORIZATION_ORDERS.doc,
    });
    expect(header).toBe(
      `WECHATPAY2-SHA256-RSA2048 mchid="1900007291",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",signature="${REFUND_GET_SIG}",timestamp="1554208460",serial_no="408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB"`,
    );
  });

  it('parses Authorization pairs in any order and rejects malformed ones', () => {
    for (const order of Object.values(AUTHORIZATION_ORDERS)) {
      const header = buildAuthorization({
        mchid: '1900007291',
        serialNo: 'ABC',
        privateKey: DOC_KEY,
        method: 'GET',
        url: '/x',
        timestamp: TS,
        nonce: NONCE,
        order,
      });
      const parsed = parseAuthorization(header);
      expect(parsed.ok && parsed.value).toMatchObject({ mchid: '1900007291', serial_no: 'ABC', timestamp: String(TS), nonce_str: NONCE });
    }
    expect(parseAuthorization('WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="2"').ok).toBe(false);
    expect(parseAuthorization('Bearer x').ok).toBe(false);
    expect(
      parseAuthorization('WECHATPAY2-SHA256-RSA2048 mchid="1",mchid="1",nonce_str="2",signature="3",timestamp="4",serial_no="5"').ok,
    ).toBe(false);
  });

  it('reproduces the mini-program paySign and the APP sign', () => {
    expect(
      buildMiniProgramPaySign({
        appId: 'wx2421b1c4370ec43b',
        timeStamp: String(TS),
        nonceStr: NONCE,
        package: 'prepay_id=wx201410272009395522657a690389285100',
        privateKey: DOC_KEY,
      }),
    ).toBe(PAY_SIGN);
    expect(rsaSign(`wx2421b1c4370ec43b\n${TS}\n${NONCE}\nwx201410272009395522657a690389285100\n`, DOC_KEY)).toBe(APP_SIGN);
  });

  it('reproduces wechatpay-go SHA256withRSA("source")', () => {
    expect(rsaSign('source', GO_TEST_PRIVATE_KEY)).toBe(GO_SIGN_SOURCE_EXPECTED);
  });
});

describe('response / notification verification (§2, §7 B, C)', () => {
  it('verifies the documentation public-key-mode response, and fails on one extra byte', () => {
    const { serial, timestamp, nonce, body, signature } = DOC_RESPONSE;
    expect(verifyWechatpaySignature({ timestamp, nonce, body, signature, publicKey: DOC_WECHATPAY_PUBLIC_KEY })).toBe(true);
    expect(verifyWechatpaySignature({ timestamp, nonce, body: `${body} `, signature, publicKey: DOC_WECHATPAY_PUBLIC_KEY })).toBe(false);
    const headers = {
      'Wechatpay-Timestamp': timestamp,
      'Wechatpay-Nonce': nonce,
      'Wechatpay-Signature': signature,
      'Wechatpay-Serial': serial,
    };
    expect(
      verifyNotificationSignature({ headers, body, keys: { [serial]: DOC_WECHATPAY_PUBLIC_KEY }, nowSec: Number(timestamp) + 10 }),
    ).toEqual({ ok: true, serial });
    expect(
      verifyNotificationSignature({ headers, body, keys: { [serial]: DOC_WECHATPAY_PUBLIC_KEY }, nowSec: Number(timestamp) + 301 }),
    ).toEqual({ ok: false, reason: 'stale' });
    expect(verifyNotificationSignature({ headers, body, keys: { OTHER: DOC_WECHATPAY_PUBLIC_KEY }, nowSec: Number(timestamp) })).toEqual({
      ok: false,
      reason: 'unknown-serial',
    });
  });

  it('verifies the wechatpay-go notification with its certificate (serial D7CE59D1F522D701)', () => {
    expect(certificateSerial(GO_TEST_CERTIFICATE)).toBe(GO_NOTIFICATION.serial);
    const headers = {
      'wechatpay-timestamp': GO_NOTIFICATION.timestamp,
      'wechatpay-nonce': GO_NOTIFICATION.nonce,
      'wechatpay-signature': GO_NOTIFICATION.signature,
      'wechatpay-serial': GO_NOTIFICATION.serial,
    };
    const keys = { [GO_NOTIFICATION.serial]: GO_TEST_CERTIFICATE };
    expect(verifyNotificationSignature({ headers, body: GO_NOTIFICATION.body, keys, nowSec: Number(GO_NOTIFICATION.timestamp) })).toEqual({
      ok: true,
      serial: 'D7CE59D1F522D701',
    });
    // Any re-serialisation of the raw body breaks the signature (§8.1).
    const reserialised = JSON.stringify(JSON.parse(GO_NOTIFICATION.body), null, 1);
    expect(verifyNotificationSignature({ headers, body: reserialised, keys, nowSec: Number(GO_NOTIFICATION.timestamp) })).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it("refuses the Go notification's 16-byte 'APIv3 key': AEAD_AES_256_GCM needs 32 bytes", () => {
    const resource = (JSON.parse(GO_NOTIFICATION.body) as { resource: { ciphertext: string; nonce: string; associated_data: string } })
      .resource;
    expect(() => aesGcmDecrypt(resource.ciphertext, GO_NOTIFICATION.apiV3Key, resource.nonce, resource.associated_data)).toThrow(
      /32 bytes/,
    );
  });

  it('treats a WECHATPAY/SIGNTEST/ probe as a failure, not as an exception', () => {
    const headers = signResponse({ body: '{}', privateKey: WX_PRIVATE, serial: 'S', probe: true });
    expect(headers['Wechatpay-Signature'].startsWith('WECHATPAY/SIGNTEST/')).toBe(true);
    expect(verifyNotificationSignature({ headers: { ...headers }, body: '{}', keys: { S: WX_PUBLIC } })).toEqual({
      ok: false,
      reason: 'probe',
    });
  });

  it('signs a 204 (empty body) over "ts\\nnonce\\n\\n"', () => {
    const headers = signResponse({ privateKey: WX_PRIVATE, serial: 'S', timestamp: 1700000000, nonce: 'n' });
    expect(rsaSign('1700000000\nn\n\n', WX_PRIVATE)).toBe(headers['Wechatpay-Signature']);
  });
});

describe('AEAD_AES_256_GCM (§3, §7 D)', () => {
  it('reproduces wechatpay-java AeadAesCipherTest both ways', () => {
    expect(aesGcmEncrypt('message', JAVA_V3_KEY, 'uluk4a9R25RW', 'associatedData')).toBe('ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=');
    expect(aesGcmDecrypt('ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=', JAVA_V3_KEY, 'uluk4a9R25RW', 'associatedData')).toBe('message');
  });

  it('rejects a wrong AAD, a flipped ciphertext bit and a truncated tag', () => {
    expect(() => aesGcmDecrypt('ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=', JAVA_V3_KEY, 'uluk4a9R25RW', 'bad-associatedData')).toThrow();
    const bytes = Buffer.from('ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=', 'base64');
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    expect(() => aesGcmDecrypt(bytes.toString('base64'), JAVA_V3_KEY, 'uluk4a9R25RW', 'associatedData')).toThrow();
    expect(() =>
      aesGcmDecrypt(
        Buffer.from('ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=', 'base64').subarray(0, 20).toString('base64'),
        JAVA_V3_KEY,
        'uluk4a9R25RW',
        'associatedData',
      ),
    ).toThrow();
  });

  it('decrypts the wechatpay-java /v3/certificates response to certificate 5DEA10EF…', () => {
    const parsed = JSON.parse(JAVA_CERTIFICATES_RESPONSE) as {
      data: { serial_no: string; encrypt_certificate: { ciphertext: string; nonce: string; associated_data: string } }[];
    };
    const entry = parsed.data[0];
    expect(entry).toBeDefined();
    if (!entry) return;
    const pem = aesGcmDecrypt(
      entry.encrypt_certificate.ciphertext,
      JAVA_V3_KEY,
      entry.encrypt_certificate.nonce,
      entry.encrypt_certificate.associated_data,
    );
    expect(certificateSerial(pem)).toBe('5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC');
    expect(entry.serial_no).toBe('5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC');
  });
});

describe('key files and certificates', () => {
  it('has the expected serials, and the platform key matches its public-key-mode PEM', () => {
    expect(certificateSerial(key('wechat_pay_certificate.pem'))).toBe('440024045C4A427599D09BB4E3DE0279F2E813FD');
    expect(certificateSerial(key('merchant_certificate.pem'))).toBe('5F1C72E2A8931B72A2E13AF8DEE92471EB397115');
    const der = (pem: string): Buffer => createPublicKey(pem).export({ type: 'spki', format: 'der' });
    expect(der(WX_PRIVATE).equals(der(WX_PUBLIC))).toBe(true);
  });

  it('builds a self-signed certificate node:crypto accepts, with the requested serial', () => {
    const pem = createSelfSignedCertificate({ privateKey: WX_PRIVATE, serialHex: '7ABCDEF0123456789ABCDEF0123456789ABCDEF0' });
    const x = new X509Certificate(pem);
    expect(x.serialNumber.toUpperCase()).toBe('7ABCDEF0123456789ABCDEF0123456789ABCDEF0');
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.checkPrivateKey(createPrivateKey(WX_PRIVATE))).toBe(true);
    expect(Date.parse(x.validTo)).toBeGreaterThan(Date.now());
  });
});

describe('derived TRANSACTION.SUCCESS notification (derived_notification.mjs golden values)', () => {
  const order: Order = {
    mchid: '1230000109',
    appid: 'wxd678efh567hg6787',
    outTradeNo: '1217752501201407033233368018',
    tradeType: 'JSAPI',
    description: 'Image形象店-深圳腾大-QQ公仔',
    notifyUrl: 'https://www.weixin.qq.com/wxpay/pay.php',
    attach: '',
    total: 100,
    payerOpenid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
    fingerprint: '',
    createdAtMs: Date.parse('2024-01-01T11:59:00+08:00'),
    state: 'SUCCESS',
    transactionId: '4200000000202401010000000001',
    successAtMs: Date.parse('2024-01-01T12:00:00+08:00'),
    couponFen: 0,
    bankType: 'OTHERS',
    injected: false,
  };

  it("serialises the transaction in WeChat's observed key order", () => {
    expect(JSON.stringify(transactionJson(order))).toBe(DERIVED.plaintext);
  });

  it('builds the envelope and signature byte-for-byte', () => {
    const { body, ciphertext } = buildEnvelope({
      id: 'EV-2018022511223320873',
      createTime: '2024-01-01T12:00:01+08:00',
      eventType: 'TRANSACTION.SUCCESS',
      summary: '支付成功',
      originalType: 'transaction',
      associatedData: 'transaction',
      plaintext: JSON.stringify(transactionJson(order)),
      apiV3Key: JAVA_V3_KEY,
      nonce: 'fdasflkja484',
    });
    expect(ciphertext).toBe(DERIVED.ciphertext);
    expect(createHash('sha256').update(body).digest('hex')).toBe(DERIVED.bodySha256);
    const headers = signResponse({
      body,
      privateKey: WX_PRIVATE,
      serial: '440024045C4A427599D09BB4E3DE0279F2E813FD',
      timestamp: '1704081601',
      nonce: '5K8264ILTKCH16CQ2502SI8ZNMTM67VS',
    });
    expect(headers['Wechatpay-Signature']).toBe(DERIVED.signature);
    expect(aesGcmDecrypt(ciphertext, JAVA_V3_KEY, 'fdasflkja484', 'transaction')).toBe(DERIVED.plaintext);
  });

  it('rawBodyTrap: same JSON value, different bytes', () => {
    const input = {
      id: 'EV-1',
      createTime: '2024-01-01T12:00:01+08:00',
      eventType: 'TRANSACTION.SUCCESS',
      summary: '支付成功',
      originalType: 'transaction',
      associatedData: 'transaction',
      plaintext: DERIVED.plaintext,
      apiV3Key: JAVA_V3_KEY,
      nonce: 'fdasflkja484',
    };
    const plain = buildEnvelope(input).body;
    const trap = buildEnvelope({ ...input, rawBodyTrap: true }).body;
    expect(JSON.parse(trap)).toEqual(JSON.parse(plain));
    expect(JSON.stringify(JSON.parse(trap))).not.toBe(trap);
    expect(trap).toContain('\\u652f\\u4ed8\\u6210\\u529f');
  });
});

describe('APIv2 signatures and XML (§5, §7 E)', () => {
  const params = { appid: 'wxd930ea5d5a258f4f', mch_id: '10000100', device_info: '1000', body: 'test', nonce_str: 'ibuaiVcKdpRxkhJA' };
  const v2Key = '192006250b4c09247ec02edce69f6a2d';

  it('reproduces the documented MD5 and HMAC-SHA256 signs', () => {
    expect(v2Sign(params, v2Key, 'MD5')).toBe('9A0A8659F005D6984697E2CA0A9CF3B7');
    expect(v2Sign(params, v2Key, 'HMAC-SHA256')).toBe('6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6');
    expect(v2Verify({ ...params, sign: '9A0A8659F005D6984697E2CA0A9CF3B7' }, v2Key)).toBe(true);
    expect(
      v2Verify({ ...params, sign_type: 'HMAC-SHA256', sign: v2Sign({ ...params, sign_type: 'HMAC-SHA256' }, v2Key, 'HMAC-SHA256') }, v2Key),
    ).toBe(true);
    expect(v2Verify({ ...params, body: 'tampered', sign: '9A0A8659F005D6984697E2CA0A9CF3B7' }, v2Key)).toBe(false);
  });

  it('round-trips flat XML with CDATA, entities and "]]>" inside a value, and refuses DOCTYPE', () => {
    const xml = xmlBuild({ a: 'x]]>y', total_fee: 1, attach: '<中文&>' });
    expect(xml).toContain('<total_fee>1</total_fee>');
    expect(xmlParse(xml)).toEqual({ a: 'x]]>y', total_fee: '1', attach: '<中文&>' });
    expect(xmlParse('<xml>\n  <a>1 &lt; 2</a>\n</xml>')).toEqual({ a: '1 < 2' });
    expect(() => xmlParse('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><a>&e;</a></xml>')).toThrow();
    expect(() => xmlParse('<xml><a><b>1</b></a></xml>')).toThrow();
  });
});
