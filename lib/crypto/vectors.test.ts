// Known-answer tests: RFC 8032 (Ed25519), RFC 7748 (X25519) and RFC 8785 (JCS), on both suites.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalize } from './jcs.ts';
import { nodeSuite } from './node-suite.ts';
import { nobleSuite } from './noble/suite.ts';

const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

// RFC 8032 section 7.1: TEST 1, 2, 3 and TEST SHA(abc).
const ED25519_VECTORS = [
  {
    name: 'TEST 1 (empty message)',
    secretKey: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature:
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    name: 'TEST 2 (one byte)',
    secretKey: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    publicKey: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature:
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    name: 'TEST 3 (two bytes)',
    secretKey: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    publicKey: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    message: 'af82',
    signature:
      '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
  {
    name: 'TEST SHA(abc)',
    secretKey: '833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42',
    publicKey: 'ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf',
    message:
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    signature:
      'dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704',
  },
];

// RFC 7748 section 5.2.
const X25519_VECTORS = [
  {
    scalar: 'a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4',
    u: 'e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c',
    out: 'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552',
  },
  {
    // u has its top bit set, which X25519 must ignore.
    scalar: '4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d',
    u: 'e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493',
    out: '95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957',
  },
];

// RFC 7748 section 6.1.
const DH = {
  alicePrivate: '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a',
  alicePublic: '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a',
  bobPrivate: '5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb',
  bobPublic: 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f',
  shared: '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742',
};

for (const suite of [nodeSuite, nobleSuite]) {
  describe(`RFC 8032 Ed25519 on ${suite.name}`, () => {
    for (const v of ED25519_VECTORS) {
      test(v.name, () => {
        const secretKey = hex(v.secretKey);
        const message = hex(v.message);
        assert.equal(toHex(suite.ed25519PublicKey(secretKey)), v.publicKey);
        assert.equal(toHex(suite.ed25519Sign(message, secretKey)), v.signature);
        assert.equal(suite.ed25519Verify(message, hex(v.signature), hex(v.publicKey)), true);
      });
    }

    test('a changed message, signature bit or key does not verify', () => {
      const v = ED25519_VECTORS[2]!;
      const message = hex(v.message);
      const signature = hex(v.signature);
      const publicKey = hex(v.publicKey);
      assert.equal(suite.ed25519Verify(hex('af83'), signature, publicKey), false);
      for (const index of [0, 31, 32, 63]) {
        const bad = signature.slice();
        bad[index]! ^= 0x01;
        assert.equal(suite.ed25519Verify(message, bad, publicKey), false, `signature byte ${index}`);
      }
      assert.equal(suite.ed25519Verify(message, signature, hex(ED25519_VECTORS[0]!.publicKey)), false);
      assert.equal(suite.ed25519Verify(message, signature.subarray(1), publicKey), false);
      assert.equal(suite.ed25519Verify(message, signature, publicKey.subarray(1)), false);
    });
  });

  describe(`RFC 7748 X25519 on ${suite.name}`, () => {
    X25519_VECTORS.forEach((v, i) => {
      test(`section 5.2 vector ${i + 1}`, () => {
        assert.equal(toHex(suite.x25519(hex(v.scalar), hex(v.u))), v.out);
      });
    });

    test('section 5.2 iterated, 1 iteration', () => {
      const nine = new Uint8Array(32);
      nine[0] = 9;
      assert.equal(
        toHex(suite.x25519(nine, nine)),
        '422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079',
      );
    });

    test('section 6.1 Diffie-Hellman', () => {
      assert.equal(toHex(suite.x25519PublicKey(hex(DH.alicePrivate))), DH.alicePublic);
      assert.equal(toHex(suite.x25519PublicKey(hex(DH.bobPrivate))), DH.bobPublic);
      assert.equal(toHex(suite.x25519(hex(DH.alicePrivate), hex(DH.bobPublic))), DH.shared);
      assert.equal(toHex(suite.x25519(hex(DH.bobPrivate), hex(DH.alicePublic))), DH.shared);
    });

    test('a low-order public key (all-zero shared secret) is refused', () => {
      assert.throws(() => suite.x25519(hex(DH.alicePrivate), new Uint8Array(32)));
      const one = new Uint8Array(32);
      one[0] = 1;
      assert.throws(() => suite.x25519(hex(DH.alicePrivate), one));
    });
  });
}

test('RFC 7748 section 5.2 iterated, 1000 iterations (node:crypto)', () => {
  let k: Uint8Array = new Uint8Array(32);
  k[0] = 9;
  let u: Uint8Array = k.slice();
  for (let i = 0; i < 1000; i++) {
    const next = nodeSuite.x25519(k, u);
    u = k;
    k = next;
  }
  assert.equal(toHex(k), '684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51');
});

describe('RFC 8785 JCS', () => {
  test('section 3.2.2: the sample with numbers, strings and literals', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        '"string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",' +
        '"literals": [null, true, false]}',
    ) as unknown;
    assert.equal(
      canonicalize(input),
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  test('section 3.2.3: properties sorted by UTF-16 code units', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    assert.equal(
      canonicalize(input),
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  test('appendix B: IEEE 754 numbers serialize like ECMAScript', () => {
    const fromBits = (bits: string): number => Buffer.from(bits, 'hex').readDoubleBE(0);
    const cases: [string, string][] = [
      ['0000000000000000', '0'],
      ['8000000000000000', '0'], // -0
      ['0000000000000001', '5e-324'],
      ['8000000000000001', '-5e-324'],
      ['7fefffffffffffff', '1.7976931348623157e+308'],
      ['ffefffffffffffff', '-1.7976931348623157e+308'],
      ['4340000000000000', '9007199254740992'],
      ['c340000000000000', '-9007199254740992'],
      ['4430000000000000', '295147905179352830000'],
      ['44b52d02c7e14af5', '9.999999999999997e+22'],
      ['44b52d02c7e14af6', '1e+23'],
      ['444b1ae4d6e2ef50', '1e+21'],
      ['3eb0c6f7a0b5ed8d', '0.000001'],
    ];
    for (const [bits, text] of cases) assert.equal(canonicalize(fromBits(bits)), text, bits);
    assert.equal(canonicalize(1e21), '1e+21');
    assert.equal(canonicalize(1e20), '100000000000000000000');
    assert.equal(canonicalize(1e-7), '1e-7');
  });

  test('NaN and Infinity have no canonical form', () => {
    assert.throws(() => canonicalize(Number.NaN));
    assert.throws(() => canonicalize(Number.POSITIVE_INFINITY));
    assert.throws(() => canonicalize({ a: Number.NEGATIVE_INFINITY }));
  });

  test('nested objects sort at every level; arrays keep their order', () => {
    assert.equal(
      canonicalize({ b: [3, { z: 1, a: 2 }], a: { d: null, c: 'x' } }),
      '{"a":{"c":"x","d":null},"b":[3,{"a":2,"z":1}]}',
    );
  });
});
