// A subscriber process for the ingest bench: `bare` counts messages, `consumer` runs the fleet
// dashboard's model on each (JSON, schema check, row update). Prints one JSON line when done.
import mqtt from "mqtt";
import { FleetState } from "../dashboard/src/fleet-state";

const [mode, url, username, seconds] = process.argv.slice(2);
const password = process.env.MQTT_PASSWORD;
const state = new FleetState();
let count = 0, first = 0;
const client = mqtt.connect(url, { clientId: `${username}-bench-${mode}`, username, password, reconnectPeriod: 0 });
client.on("connect", () => {
  client.subscribe("routers/+/heartbeat", { qos: 0 }, () => process.stdout.write("ready\n"));
});
client.on("message", (topic, payload) => {
  if (count === 0) first = performance.now();
  count++;
  if (mode === "consumer") state.ingest(topic, payload.toString(), Date.now());
});
setTimeout(() => {
  const secs = (performance.now() - first) / 1000;
  process.stdout.write(JSON.stringify({ mode, count, perSecond: Math.round(count / secs), rows: state.rows.size }) + "\n");
  client.end(true);
  process.exit(0);
}, Number(seconds) * 1000);
