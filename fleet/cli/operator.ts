// npm run operator -- add NAME --role viewer|operator --password-file FILE --db postgres://...|DIR
// Adds a console operator (or changes its role and password) in the fleet history database the
// dashboard's server uses. The password comes from a file (never the command line, where `ps`
// shows it): its first line, at least 12 characters. Migrations are applied first.
import { readFileSync } from "node:fs";
import { openDatabase } from "../db/sql";
import { migrate } from "../db/migrate";
import { addOperator, ROLES, type Role } from "../console/operators";
import { flags, runTool, unknownOption, UsageError } from "./args";

const USAGE = `usage: npm run operator -- add NAME --role ${ROLES.join("|")} --password-file FILE --db postgres://user@host/db|DIR
  A console login: viewers watch, operators also fail over, probe, reboot and push configs (all audited).`;

async function main(argv: string[]): Promise<void> {
  let verb: string | null = null, name: string | null = null, role: string | null = null, passwordFile: string | null = null, db: string | null = null;
  for (const { flag, value } of flags(argv)) {
    if (flag === "--role") role = value();
    else if (flag === "--password-file") passwordFile = value();
    else if (flag === "--db") db = value();
    else if (flag.startsWith("-")) throw unknownOption(flag);
    else if (verb === null) verb = flag;
    else if (name === null) name = flag;
    else throw unknownOption(flag);
  }
  if (verb !== "add") throw new UsageError(verb === null ? "what to do: add" : `unknown command '${verb.slice(0, 20)}' (allowed: add)`);
  if (name === null) throw new UsageError("the operator's name is required");
  if (role === null || !(ROLES as readonly string[]).includes(role)) throw new UsageError(`--role ${role ?? "(missing)"}: allowed ${ROLES.join(", ")}`);
  if (passwordFile === null) throw new UsageError("--password-file is required");
  if (db === null) throw new UsageError("--db is required");
  const password = readFileSync(passwordFile, "utf8").split(/\r?\n/)[0];
  const sql = await openDatabase(db);
  try {
    await migrate(sql);
    await addOperator(sql, name, role as Role, password);
    console.log(`operator ${name} (${role}) in ${sql.where}`);
  } finally {
    await sql.close();
  }
}

runTool(USAGE, main);
