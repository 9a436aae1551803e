/** The published WeChat Pay vectors (wechat-platform.md §7), against this module's own code. */
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildJsapiPayParams } from './pay-client.js';
import {
  aesGcmDecrypt,
  apiV3KeyObject,
  authorizationHeader,
  checkWechatpaySignature,
  headerValue,
  v2SignMd5,
  v2VerifyMd5,
  xmlBuild,
  xmlParse,
} from './wx-crypto.js';

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
/** The documentation's merchant test key (apiclient_test_key.pem, §7A). */
const DOC_KEY = createPrivateKey(fixture('apiclient_test_key.pem'));
const TS = 1554208460;
const NONCE = '593BEC0C930BF1AFEB40B4A08C8FB242';

describe('§7A official signature vectors (apiclient_test_key.pem)', () => {
  it('jsapiPayParams reproduces the published mini-program paySign', () => {
    const p = buildJsapiPayParams({
      appid: 'wx2421b1c4370ec43b',
      prepayId: 'wx201410272009395522657a690389285100',
      privateKey: DOC_KEY,
      timeStamp: String(TS),
      nonceStr: NONCE,
    });
    expect(p).toEqual({
      timeStamp: '1554208460',
      nonceStr: NONCE,
      package: 'prepay_id=wx201410272009395522657a690389285100',
      signType: 'RSA',
      paySign:
        'mI35pfNEQV6777ke/1T+LJLQDNTm7yeoUJH+j/adPGhmCCi0PbgkvYQTRcXH0uibcLVtvFLdGLpmoYO9FV6lBBsTAjuhh5YOvQi0e2g3e0yytitiNET9FEuqM0pjnKfRW4K6LIZDdbWJv9KhZUx3DrJa5TL7OJ7VdADVivxVySIlPVKjGwuCXzuXSJes0UcILgWQUMyha5/3nYofuHtS7r+KYyMuxD+oJ9VM1Qdxk4UIG59CP5Y3wtYIFybyF3bdu1caHTRRX+DLyMXyYA/IrTmiW01c4RPjpHBX5Dk1sZyY1zVsWNsvMHr2e1NTWtBxKJ+qk5N61J7caYoepHFaxw==',
    });
  });

  it('request Authorization: the GET refund example signature', () => {
    const header = authorizationHeader({
      mchid: '1900007291',
      serial: '408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB',
      privateKey: DOC_KEY,
      method: 'GET',
      url: '/v3/refund/domestic/refunds/123123123123',
      body: '',
      timestamp: TS,
      nonce: NONCE,
    });
    expect(header).toMatch(
      /^WECHATPAY2-SHA256-RSA2048 mchid="1900007291",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",timestamp="1554208460",serial_no="408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB",signature="/,
    );
    expect(header).toContain(
      'signature="Lc9VXxmeonkdV8Xk9tmigQFLhl0vRWTerdmoRu01aAnYwIrD/5nsSwE1WlmZGLRlAFTNQ3QsMa0+VRDlJp1Wp5p0nO8EK68b5sJBbjouxaFciIfq1zfDWWz+jqhcMoKXI1A6dPm1AW7D4d30WsMTNzp6g23OXakIsh9LO3lUmwvTuE0BY8ncf6tNGk4wKmvXwERd/ZpoQY3MAVKz+Nakwc+2XBmzT66KcUehU5kr4IvGa/lEU5RZb/q00zP9VLdBhC/jQSX3X1UcJLCtEc4gTmib4tnmAT+bHF/e17ZAuxDNcx6rqT8gNEXqaJGG+1OflMSTU2tpyG65G4dMKdFcoA=="',
    );
  });
});

describe('§7B official response verification (public-key mode)', () => {
  const keys = new Map([['PUB_KEY_ID_0000000000000024101100397200000006', createPublicKey(fixture('doc_wechatpay_pub_key.pem'))]]);
  const headers = {
    'wechatpay-serial': 'PUB_KEY_ID_0000000000000024101100397200000006',
    'wechatpay-timestamp': '1722850421',
    'wechatpay-nonce': 'd824f2e086d3c1df967785d13fcd22ef',
    'wechatpay-signature':
      'mfI1CPqvBrgcXfgXMFjdNIhBf27ACE2YyeWsWV9ZI7T7RU0vHvbQpu9Z32ogzc+k8ZC5n3kz7h70eWKjgqNdKQF0eRp8mVKlmfzMLBVHbssB9jEZEDXThOX1XFqX7s7ymia1hoHQxQagPGzkdWxtlZPZ4ZPvr1RiqkgAu6Is8MZgXXrRoBKqjmSdrP1N7uxzJ/cjfSiis9FiLjuADoqmQ1P7p2N876YPAol7Rn0+GswwAwxldbdLrmVSjfytfSBJFqTMHn4itojgxSWWN1byuckQt8hSTEv/Lg97QoeGniYP17T80pJeQyL3b+295FPHSO2AtvCgyIbKMZ0BALilAA==',
  };
  const body = Buffer.from('{"code_url":"weixin://wxpay/bizpayurl?pr=JyC91EIz1"}');

  it('verifies; one appended space does not; the window is ±300 s around the timestamp', () => {
    expect(checkWechatpaySignature({ headers, rawBody: body, keys, nowSeconds: 1722850421 })).toEqual({
      ok: true,
      serial: 'PUB_KEY_ID_0000000000000024101100397200000006',
    });
    expect(checkWechatpaySignature({ headers, rawBody: Buffer.concat([body, Buffer.from(' ')]), keys, nowSeconds: 1722850421 })).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(checkWechatpaySignature({ headers, rawBody: body, keys, nowSeconds: 1722850421 + 301 })).toEqual({
      ok: false,
      reason: 'stale_timestamp',
    });
    expect(checkWechatpaySignature({ headers, rawBody: body, keys, nowSeconds: 1722850421 + 300 }).ok).toBe(true);
    expect(
      checkWechatpaySignature({ headers: { ...headers, 'wechatpay-signature-type': 'HMAC' }, rawBody: body, keys, nowSeconds: 1722850421 }),
    ).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('header lookup is case-insensitive and takes the first of repeated values', () => {
    expect(headerValue({ 'WeChatPay-Nonce': ['a', 'b'] }, 'wechatpay-nonce')).toBe('a');
    expect(headerValue({}, 'x')).toBeUndefined();
  });
});

describe('AEAD_AES_256_GCM', () => {
  const key = apiV3KeyObject('a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb');

  it('wechatpay-java AeadAesCipherTest: decrypts "message"; a wrong AAD is rejected', () => {
    expect(aesGcmDecrypt(key, 'ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=', 'uluk4a9R25RW', 'associatedData').toString()).toBe('message');
    expect(() => aesGcmDecrypt(key, 'ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=', 'uluk4a9R25RW', 'associated')).toThrow();
    expect(() => aesGcmDecrypt(key, 'dGFn', 'uluk4a9R25RW', '')).toThrow(/shorter/);
  });

  it('a /v3/certificates body (wechatpay-java DOWNLOAD_CERTIFICATE_RESPONSE) decrypts to serial 5DEA10…', () => {
    const body = JSON.parse(fixture('certificates_response.json')) as {
      data: { encrypt_certificate: { ciphertext: string; nonce: string; associated_data: string } }[];
    };
    const enc = body.data[0]?.encrypt_certificate;
    const pem = aesGcmDecrypt(key, enc?.ciphertext ?? '', enc?.nonce ?? '', enc?.associated_data ?? '').toString();
    expect(new X509Certificate(pem).serialNumber.toUpperCase()).toBe('5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC');
  });

  it('refuses an APIv3 key that is not 32 bytes (Go would silently run AES-128)', () => {
    expect(() => apiV3KeyObject('testMchAPIv3Key0')).toThrow(/32 bytes/);
  });
});

describe('APIv2 sign and XML', () => {
  it('MD5 sign: the published vector', () => {
    const params = { appid: 'wxd930ea5d5a258f4f', mch_id: '10000100', device_info: '1000', body: 'test', nonce_str: 'ibuaiVcKdpRxkhJA' };
    expect(v2SignMd5(params, '192006250b4c09247ec02edce69f6a2d')).toBe('9A0A8659F005D6984697E2CA0A9CF3B7');
    expect(v2SignMd5({ ...params, empty: '', sign: 'X', missing: undefined }, '192006250b4c09247ec02edce69f6a2d')).toBe(
      '9A0A8659F005D6984697E2CA0A9CF3B7',
    );
    expect(v2VerifyMd5({ ...params, sign: '9a0a8659f005d6984697e2ca0a9cf3b7' }, '192006250b4c09247ec02edce69f6a2d')).toBe(true);
    expect(v2VerifyMd5({ ...params, body: 'tset', sign: '9A0A8659F005D6984697E2CA0A9CF3B7' }, '192006250b4c09247ec02edce69f6a2d')).toBe(
      false,
    );
  });

  it('XML round trip with CDATA, entities and a value containing "]]>"; DOCTYPE and nesting refused', () => {
    const xml = xmlBuild({ body: '积分 <商城> & ]]> end', total_fee: 1 });
    expect(xmlParse(`<?xml version="1.0"?>\n${xml}`)).toEqual({ body: '积分 <商城> & ]]> end', total_fee: '1' });
    expect(xmlParse('<xml><a>x &amp; y&#65;</a></xml>')).toEqual({ a: 'x & yA' });
    expect(() => xmlParse('<!DOCTYPE xml [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><a>&e;</a></xml>')).toThrow(/not allowed/);
    expect(() => xmlParse('<xml><a><b>1</b></a></xml>')).toThrow(/nested/);
    expect(() => xmlParse('<html></html>')).toThrow(/root/);
  });
});
