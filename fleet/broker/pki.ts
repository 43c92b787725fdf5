// The project's certificate authority: one CA key, and from it a certificate for the broker
// (server) and one per device or tool (client, CN = the identity Mosquitto uses as username).
//
// Why Node's crypto and not the openssl CLI or node-forge: keys are EC P-256 (small certificates
// that fit an NVS string, and the cheapest handshake for the ESP32's mbedTLS), which node-forge
// cannot sign; Node generates and signs them with the OpenSSL it links, in well under a
// millisecond, where the CLI costs two process starts per certificate (a 1,000-router test would
// wait for 2,000 of them), and `npm start` stays zero-install with TLS on. The only code of ours
// is the DER layout of the certificate (der.ts); what checks it is OpenSSL, in Mosquitto and
// in Node's tls.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from "node:crypto";
import { isIP } from "node:net";
import { bits, boolean, explicit, implicit, integer, namedBits, octets, oid, sequence, set, time, utf8 } from "./der";

const OID = {
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  commonName: "2.5.4.3",
  organization: "2.5.4.10",
  subjectKeyId: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  authorityKeyId: "2.5.29.35",
  crlNumber: "2.5.29.20",
  extKeyUsage: "2.5.29.37",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
};

const DAY = 86400000;

/**
 * A device's (or tool's) certificate: 2 years by default, at most 825 days (the server
 * certificate's and the CRL's span). A key read out of a lost or resold router's flash is then
 * good for two years at most even if nobody revokes it, and the CRL (which lists revoked
 * certificates until they expire) stays short; a router is re-provisioned within that time
 * anyway (firmware updates). Ten years, the old default, outlived the hardware.
 */
export const CLIENT_DAYS = 730;
export const CLIENT_DAYS_MAX = 825;
const ORG = "uplink-router";

export interface Issued { cn: string; certPem: string; keyPem: string }

export interface IssueOptions {
  /** server: the broker (SANs needed); client: a device or tool. */
  kind: "server" | "client";
  days?: number;
  /** Host names and IP addresses the server answers to. */
  names?: readonly string[];
  /** For tests: a certificate that expired yesterday. */
  expired?: boolean;
}

function name(cn: string): Buffer {
  return sequence(set(sequence(oid(OID.organization), utf8(ORG))), set(sequence(oid(OID.commonName), utf8(cn))));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? sequence(oid(id), boolean(true), octets(value)) : sequence(oid(id), octets(value));
}

function keyId(pub: KeyObject): Buffer {
  // RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits (the SPKI's last 65 bytes for P-256).
  const spki = pub.export({ type: "spki", format: "der" });
  return createHash("sha1").update(spki.subarray(spki.length - 65)).digest();
}

function altNames(names: readonly string[]): Buffer {
  return sequence(...names.map((n) => {
    const v = isIP(n);
    if (v === 4) return implicit(7, Buffer.from(n.split(".").map(Number)));
    if (v === 6) return implicit(7, ipv6(n));
    return implicit(2, Buffer.from(n, "ascii"));
  }));
}

function ipv6(a: string): Buffer {
  const [head, tail = ""] = a.split("::");
  const h = head ? head.split(":") : [], t = tail ? tail.split(":") : [];
  const groups = a.includes("::") ? [...h, ...Array(8 - h.length - t.length).fill("0"), ...t] : h;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

function toPem(der: Buffer): string {
  const b64 = der.toString("base64").replace(/.{64}/g, "$&\n").replace(/\n$/, "");
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

/** Names that may become a certificate's CN and hence a Mosquitto username, an ACL line and a topic level. */
export const IDENTITY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export class Pki {
  private constructor(readonly caPem: string, private readonly caKey: KeyObject, readonly caName: string) {}

  /** A new CA (self-signed), valid `days` from a few minutes ago. */
  static create(caName = "uplink-router project CA", days = 3650): Pki {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const id = keyId(publicKey);
    const exts = [
      extension(OID.basicConstraints, true, sequence(boolean(true), integer(0))),
      extension(OID.keyUsage, true, namedBits([5, 6])), // keyCertSign, cRLSign
      extension(OID.subjectKeyId, false, octets(id)),
    ];
    const der = signed(privateKey, name(caName), name(caName), publicKey, days, false, exts);
    return new Pki(toPem(der), privateKey, caName);
  }

  /** A CA saved by `save()` (PEM of the certificate and of its PKCS#8 key, encrypted with `passphrase` or not). */
  static load(caPem: string, caKeyPem: string, passphrase?: string): Pki {
    const cert = new X509Certificate(caPem);
    const encrypted = caKeyPem.includes("ENCRYPTED PRIVATE KEY");
    if (encrypted && !passphrase) throw new Error("the CA key is encrypted: give its passphrase (--ca-pass-file FILE or PKI_CA_PASSPHRASE)");
    let key: KeyObject;
    try {
      key = createPrivateKey(encrypted ? { key: caKeyPem, passphrase } : caKeyPem);
    } catch {
      throw new Error(encrypted ? "the CA key could not be decrypted: wrong passphrase" : "the CA key is not a PEM private key");
    }
    if (!cert.checkPrivateKey(key)) throw new Error("the CA key does not belong to the CA certificate");
    if (!cert.ca) throw new Error("the CA certificate is not a CA (basicConstraints)");
    const cn = /CN=([^\n]+)/.exec(cert.subject)?.[1] ?? "CA";
    return new Pki(caPem, key, cn);
  }

  get caKeyPem(): string {
    return this.caKey.export({ type: "pkcs8", format: "pem" }) as string;
  }

  /** The CA key as encrypted PKCS#8 (AES-256-CBC, key from the passphrase by PBKDF2): what `npm run pki` stores. */
  caKeyPemEncrypted(passphrase: string): string {
    if (passphrase.length < 12) throw new Error("the CA passphrase must be at least 12 characters");
    return this.caKey.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase }) as string;
  }

  /**
   * A certificate revocation list (RFC 5280 5.1) of this CA naming `revoked` certificates by serial
   * (hex, as X509Certificate.serialNumber gives it), valid `days` (OpenSSL refuses every client
   * once a CRL it checks has passed its nextUpdate: renew it with the broker's certificate).
   */
  crl(revoked: ReadonlyArray<{ serial: string; at: number }>, number: number, days = 825): string {
    const now = Date.now();
    const alg = sequence(oid(OID.ecdsaWithSha256));
    const entries = revoked.map((r) => sequence(integer(Buffer.from(r.serial.length % 2 ? "0" + r.serial : r.serial, "hex")), time(new Date(r.at))));
    const exts = sequence(
      extension(OID.authorityKeyId, false, sequence(implicit(0, keyId(createPublicKey(this.caKey))))),
      extension(OID.crlNumber, false, integer(number)),
    );
    const tbs = sequence(integer(1), alg, name(this.caName), time(new Date(now - 5 * 60000)), time(new Date(now + days * DAY)),
      ...(entries.length ? [sequence(...entries)] : []), explicit(0, exts));
    const der = sequence(tbs, alg, bits(sign("sha256", tbs, this.caKey)));
    const b64 = der.toString("base64").replace(/.{64}/g, "$&\n").replace(/\n$/, "");
    return `-----BEGIN X509 CRL-----\n${b64}\n-----END X509 CRL-----\n`;
  }

  /** A fresh key and a certificate for it signed by this CA. */
  issue(cn: string, o: IssueOptions): Issued {
    if (!IDENTITY.test(cn)) throw new Error(`'${cn}' cannot name a certificate: use letters, digits, '.', '_' or '-' (at most 64, not starting with a symbol)`);
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const caPub = createPublicKey(this.caKey);
    const exts = [
      extension(OID.basicConstraints, true, sequence()),
      extension(OID.keyUsage, true, namedBits([0])), // digitalSignature: what an ECDHE-ECDSA handshake needs
      extension(OID.extKeyUsage, false, sequence(oid(o.kind === "server" ? OID.serverAuth : OID.clientAuth))),
      extension(OID.subjectKeyId, false, octets(keyId(publicKey))),
      extension(OID.authorityKeyId, false, sequence(implicit(0, keyId(caPub)))),
    ];
    if (o.kind === "server") exts.push(extension(OID.subjectAltName, false, altNames(o.names?.length ? o.names : [cn])));
    const der = signed(this.caKey, name(this.caName), name(cn), publicKey, o.days ?? (o.kind === "server" ? 825 : CLIENT_DAYS), o.expired ?? false, exts);
    return { cn, certPem: toPem(der), keyPem: privateKey.export({ type: "pkcs8", format: "pem" }) as string };
  }
}

function signed(caKey: KeyObject, issuer: Buffer, subject: Buffer, pub: KeyObject, days: number, expired: boolean, exts: Buffer[]): Buffer {
  const now = Date.now();
  const notBefore = new Date(expired ? now - 2 * DAY : now - 5 * 60000); // a little skew between hosts
  const notAfter = new Date(expired ? now - DAY : now + days * DAY);
  const serial = randomBytes(16);
  serial[0] &= 0x7f;
  const alg = sequence(oid(OID.ecdsaWithSha256));
  const tbs = sequence(
    explicit(0, integer(2)), // v3
    integer(serial), alg, issuer, sequence(time(notBefore), time(notAfter)), subject,
    pub.export({ type: "spki", format: "der" }),
    explicit(3, sequence(...exts)),
  );
  return sequence(tbs, alg, bits(sign("sha256", tbs, caKey)));
}
