// Topic layout under routers/<deviceId>/ (the MQTT contract in shared/design.md).
export interface Topics {
  state: string;
  birth: string;
  heartbeat: string;
  event: string;
  configSet: string;
  cmd: string;
  reply: string;
}

export function topicsFor(deviceId: string): Topics {
  const root = `routers/${deviceId}/`;
  return {
    state: root + "state",
    birth: root + "birth",
    heartbeat: root + "heartbeat",
    event: root + "event",
    configSet: root + "config/set",
    cmd: root + "cmd/",
    reply: root + "reply",
  };
}
