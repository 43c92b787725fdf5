// The desktop build's links key: real interfaces (the app as a Linux router) or loopback stand-ins,
// never mixed, every bad entry named.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseLinks } from "../hardware/desktop/links";

test("real interfaces: name:kind:dev:gateway", () => {
  const r = parseLinks("wan0:ethernet:wan0:100.64.1.1,lte0:lte:wwan0:100.64.2.1");
  assert.deepEqual(r, { links: [
    { name: "wan0", kind: "ethernet", dev: "wan0", gateway: "100.64.1.1" },
    { name: "lte0", kind: "lte", dev: "wwan0", gateway: "100.64.2.1" },
  ] });
});

test("loopback stand-ins keep their form", () => {
  assert.deepEqual(parseLinks("wan0:ethernet:127.0.1.1"), { links: [{ name: "wan0", kind: "ethernet", via: "127.0.1.1" }] });
});

test("bad entries are refused with the entry named", () => {
  const cases: Array<[string, RegExp]> = [
    ["wan0:ethernet:wan0:100.64.1.1,lte0:lte:127.0.1.2", /links\[1\]: stand-in and real uplinks cannot be mixed/],
    ["wan0:ethernet:../x:100.64.1.1", /links\[0\]: bad interface name/],
    ["wan0:ethernet:..:100.64.1.1", /links\[0\]: bad interface name/],
    ["wan0:ethernet:averyveryverylongname:100.64.1.1", /links\[0\]: bad interface name/],
    ["wan0:ethernet:eth0:100.64.1.1,lte0:lte:eth0:100.64.2.1", /links\[1\]: interface eth0 used twice/],
    ["wan0:ethernet:eth0:100.64.1", /links\[0\]: gateway must be dotted IPv4/],
    ["wan0:ethernet:eth0:1.2.3.4:5", /links\[0\]: expected name:kind:address or name:kind:dev:gateway/],
  ];
  for (const [text, error] of cases) {
    const r = parseLinks(text);
    assert.ok("error" in r, `${text} accepted`);
    assert.match(r.error, error, text);
  }
});
