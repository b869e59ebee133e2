#!/usr/bin/env bash
# Start dockerd in the background when no engine answers (this machine has no systemd).
set -euo pipefail

log() { printf '[start-dockerd] %s\n' "$*"; }

if docker info >/dev/null 2>&1; then
    log "an engine already answers"
    exit 0
fi

log "starting dockerd, logging to /var/log/dockerd.log"
nohup dockerd >/var/log/dockerd.log 2>&1 &

for _ in $(seq 60); do
    if docker info >/dev/null 2>&1; then
        docker version --format 'engine {{.Server.Version}}, client {{.Client.Version}}'
        exit 0
    fi
    sleep 1
done

log "dockerd did not answer within 60 s; its log follows"
tail -n 40 /var/log/dockerd.log
exit 1
