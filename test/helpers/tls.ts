import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { missing } from './missing.ts';

/**
 * A throwaway self-signed certificate for 127.0.0.1 and localhost, made with the openssl CLI: an https
 * server in a test can use it and a child process trusts it through NODE_EXTRA_CA_CERTS. Null (the test
 * skipped with the reason) when openssl is missing locally; under CI=true a missing openssl fails the test.
 */
export function selfSignedCertificate(
  t: TestContext,
  dir: string,
): { key: string; cert: string; certFile: string } | null {
  const keyFile = path.join(dir, 'tls-key.pem');
  const certFile = path.join(dir, 'tls-cert.pem');
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: 'ignore' },
    );
  } catch (error) {
    return missing(t, `openssl is needed to make a test certificate: ${(error as Error).message}`, error);
  }
  return { key: fs.readFileSync(keyFile, 'utf8'), cert: fs.readFileSync(certFile, 'utf8'), certFile };
}
