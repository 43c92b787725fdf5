#!/bin/sh
# What pfSense's gateway group does on dpinger's alarm callback, in a few lines: remember which
# gateways are in alarm, then give the default route to the first tier that is not (tier order:
# wan0, then lte0; with both in alarm the route stays where it is). States are not killed: this
# models pfSense's "do not kill states on gateway failure". dpinger runs it as
#   gateway-group.sh STATE_DIR GATEWAY TARGET ALARM LATENCY_US STDDEV_US LOSS_PCT
state=$1 gw=$2 alarm=$4
echo "$alarm" > "$state/alarm-$gw"
for g in wan0 lte0; do
  if [ "$(cat "$state/alarm-$g" 2>/dev/null)" != 1 ]; then
    if [ "$(cat "$state/active" 2>/dev/null)" != "$g" ]; then
      ip route replace default via "$(cat "$state/gateway-$g")" dev "$g" &&
        echo "$g" > "$state/active" &&
        echo "$(date +%s%3N) $g" >> "$state/switches"
    fi
    exit 0
  fi
done
