#!/bin/sh
# PatchMon agent uninstaller.
#
# Usage (as root):  curl -s URL/api/v1/hosts/remove | sh
#
# Stops the agent and removes its service (systemd, OpenRC or crontab entry), binary,
# configuration, credentials and logs. Backups the installer made (*.backup.*) are kept
# unless REMOVE_BACKUPS=1.
#
# Environment:
#   REMOVE_BACKUPS=1     also delete configuration, credential and binary backups
#   SILENT=1             print nothing but errors
#   PATCHMON_ROOT=/dir   remove an installation below /dir (no service is touched)
set -eu

ROOT="${PATCHMON_ROOT:-}"
CONFIG_DIR="$ROOT/etc/patchmon"
AGENT_BIN="$ROOT/usr/local/bin/patchmon-agent"

case "${REMOVE_BACKUPS:-0}" in 1|true|yes) REMOVE_BACKUPS=1 ;; *) REMOVE_BACKUPS=0 ;; esac
case "${SILENT:-0}" in 1|true|yes) SILENT=1 ;; *) SILENT=0 ;; esac

say() { if [ "$SILENT" = 0 ]; then printf '%s\n' "$1"; fi; }
error() { printf 'ERROR: %s\n' "$1" >&2; exit 1; }

if [ -z "$ROOT" ] && [ "$(id -u)" -ne 0 ]; then
    error "This script must be run as root (use sudo)"
fi

say "Removing the PatchMon agent..."

if [ -z "$ROOT" ]; then
    if command -v systemctl >/dev/null 2>&1 && [ -f /etc/systemd/system/patchmon-agent.service ]; then
        systemctl stop patchmon-agent.service >/dev/null 2>&1 || true
        systemctl disable patchmon-agent.service >/dev/null 2>&1 || true
    fi
    if command -v rc-service >/dev/null 2>&1 && [ -f /etc/init.d/patchmon-agent ]; then
        rc-service patchmon-agent stop >/dev/null 2>&1 || true
        rc-update del patchmon-agent default >/dev/null 2>&1 || true
    fi
    if command -v crontab >/dev/null 2>&1 && crontab -l 2>/dev/null | grep -q 'patchmon-agent'; then
        crontab -l 2>/dev/null | grep -v 'patchmon-agent' | crontab - || true
        say "Removed the crontab entry"
    fi
    if command -v pkill >/dev/null 2>&1; then
        pkill -x patchmon-agent >/dev/null 2>&1 || true
    fi
fi

removed=0
for f in "$ROOT/etc/systemd/system/patchmon-agent.service" "$ROOT/etc/init.d/patchmon-agent" \
    "$ROOT/var/spool/cron/patchmon-agent" "$AGENT_BIN" "$ROOT/usr/local/bin/patchmon-agent.sh" \
    "$CONFIG_DIR/config.yml" "$CONFIG_DIR/credentials.yml" "$CONFIG_DIR/credentials"; do
    if [ -e "$f" ]; then
        rm -f "$f"
        say "Removed $f"
        removed=$((removed + 1))
    fi
done
if [ -z "$ROOT" ] && command -v systemctl >/dev/null 2>&1; then
    systemctl daemon-reload >/dev/null 2>&1 || true
fi
if [ -d "$CONFIG_DIR/logs" ]; then
    rm -rf "$CONFIG_DIR/logs"
    say "Removed $CONFIG_DIR/logs"
fi

backups_left=0
for f in "$CONFIG_DIR"/*.backup.* "$AGENT_BIN".backup.*; do
    [ -e "$f" ] || continue
    if [ "$REMOVE_BACKUPS" = 1 ]; then
        rm -f "$f"
        say "Removed backup $f"
    else
        backups_left=$((backups_left + 1))
    fi
done
if [ -d "$CONFIG_DIR" ] && [ -z "$(ls -A "$CONFIG_DIR" 2>/dev/null)" ]; then
    rmdir "$CONFIG_DIR"
fi

if [ "$backups_left" -gt 0 ]; then
    say "Kept $backups_left backup file(s); run with REMOVE_BACKUPS=1 to delete them too"
fi
if [ "$removed" -eq 0 ]; then
    say "No PatchMon agent was installed"
else
    say "PatchMon agent removed"
fi
