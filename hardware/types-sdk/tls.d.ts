// For the device build only: Moddable SDK 8.2.3's own typings (what mcconfig's tsc reads) do not
// declare the TLS socket that examples/io/tcp/tlssocket provides; the @moddable/typings package the
// project's typecheck uses does, so this folder is left out of hardware/tsconfig.json.
declare module "embedded:io/socket/tcp/tls" {
  /** An ECMA-419 TCP socket class speaking TLS: used as the `io` of a socket option. */
  const TLSSocket: new (options: Record<string, unknown>) => object;
  export default TLSSocket;
}
