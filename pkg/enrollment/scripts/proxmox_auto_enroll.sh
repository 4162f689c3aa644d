#!/bin/bash
# PatchMon Proxmox LXC auto-enrollment.
#
# Run on a Proxmox VE host as root. Discovers the LXC containers with `pct list`, enrolls
# each running one in PatchMon with an auto-enrollment token and installs the PatchMon
# agent inside it with `pct exec`. Containers whose agent is already configured and
# answers a ping are skipped, so the script is safe to run again (for example from cron).
#
#   curl -s "https://patchmon.example.com/api/v1/auto-enrollment/script?type=proxmox-lxc&token_key=KEY&token_secret=SECRET" | bash
#
# Environment variables (all optional when the script was downloaded from PatchMon):
#   PATCHMON_URL            PatchMon server URL
#   AUTO_ENROLLMENT_KEY     token key (patchmon_ae_...)
#   AUTO_ENROLLMENT_SECRET  token secret
#   CURL_FLAGS              curl options, default -s (-sk for self-signed certificates)
#   DRY_RUN=true            show what would be enrolled, change nothing
#   HOST_PREFIX             prefix for host names, e.g. "prod-"
#   SKIP_STOPPED=false      also enroll stopped containers (the agent cannot be installed)
#   FORCE_INSTALL=true      install the agent even where the package manager is broken
#   DEBUG=true              log API requests and responses and container commands
#   COLOR=auto|always|never coloured output (auto: when writing to a terminal)
#
# Requires: pct, curl, jq, bash.

# ===== CONFIGURATION =====
PATCHMON_URL="${PATCHMON_URL:-https://patchmon.example.com}"
AUTO_ENROLLMENT_KEY="${AUTO_ENROLLMENT_KEY:-your_key_here}"
AUTO_ENROLLMENT_SECRET="${AUTO_ENROLLMENT_SECRET:-your_secret_here}"
CURL_FLAGS="${CURL_FLAGS:--s}"
DRY_RUN="${DRY_RUN:-false}"
HOST_PREFIX="${HOST_PREFIX:-}"
SKIP_STOPPED="${SKIP_STOPPED:-true}"
FORCE_INSTALL="${FORCE_INSTALL:-false}"
DEBUG="${DEBUG:-false}"
COLOR="${COLOR:-auto}"
# ===== END CONFIGURATION =====

set -u

if [ "$COLOR" = always ] || { [ "$COLOR" = auto ] && [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; }; then
    RED=$'\033[0;31m' GREEN=$'\033[0;32m' YELLOW=$'\033[1;33m' BLUE=$'\033[0;34m' NC=$'\033[0m'
else
    RED='' GREEN='' YELLOW='' BLUE='' NC=''
fi

info()    { printf '%s[INFO]%s %s\n' "$BLUE" "$NC" "$*"; }
success() { printf '%s[SUCCESS]%s %s\n' "$GREEN" "$NC" "$*"; }
warn()    { printf '%s[WARN]%s %s\n' "$YELLOW" "$NC" "$*"; }
error()   { printf '%s[ERROR]%s %s\n' "$RED" "$NC" "$*" >&2; }
# Debug output goes to the script's own stderr (fd 3), also from helpers whose output
# is discarded.
exec 3>&2
debug()   { if [ "$DEBUG" = true ]; then printf '[DEBUG] %s\n' "$*" >&3; fi; }

PATCHMON_URL="${PATCHMON_URL%/}"
# CURL_FLAGS holds several options; split it into words once, on purpose.
read -r -a CURL_OPTS <<< "$CURL_FLAGS"
# With DEBUG, curl is verbose and its trace goes to the script's stderr.
CURL_STDERR=/dev/null
if [ "$DEBUG" = true ]; then
    CURL_OPTS+=(-v)
    CURL_STDERR=/dev/fd/3
fi

# ----- preflight -----
if ! command -v pct >/dev/null 2>&1; then
    error "This script must run on a Proxmox host (pct command not found)"
    exit 1
fi
for cmd in curl jq; do
    if ! command -v "$cmd" >/dev/null 2>&1; then
        error "Required command '$cmd' not found. Please install it first."
        exit 1
    fi
done
if [ "$AUTO_ENROLLMENT_KEY" = your_key_here ] || [ "$AUTO_ENROLLMENT_SECRET" = your_secret_here ] ||
    [ -z "$AUTO_ENROLLMENT_KEY" ] || [ -z "$AUTO_ENROLLMENT_SECRET" ]; then
    error "AUTO_ENROLLMENT_KEY and AUTO_ENROLLMENT_SECRET must be set (create a token in PatchMon: Settings → Integrations)"
    exit 1
fi
case "$PATCHMON_URL" in
    http://*|https://*) ;;
    *) error "PATCHMON_URL must start with http:// or https:// (got '$PATCHMON_URL')"; exit 1 ;;
esac

NODE_NAME="$(hostname -s 2>/dev/null || hostname)"
debug "PatchMon server: $PATCHMON_URL, node: $NODE_NAME, dry run: $DRY_RUN, force install: $FORCE_INSTALL"

# in_ct runs a command inside container $1.
in_ct() {
    local vmid="$1"
    shift
    if [ "$DEBUG" = true ]; then
        debug "pct exec $vmid -- $(printf '%s ' "$@" | sed "s/X-API-KEY: [0-9a-fA-F]*/X-API-KEY: ***/g")"
    fi
    pct exec "$vmid" -- "$@"
}

# api_enroll POSTs a JSON body to the enroll endpoint and sets HTTP_CODE and HTTP_BODY.
api_enroll() {
    local payload="$1" out
    debug "POST $PATCHMON_URL/api/v1/auto-enrollment/enroll $payload"
    out="$(curl "${CURL_OPTS[@]}" -w '\n%{http_code}' -X POST \
        -H "X-Auto-Enrollment-Key: $AUTO_ENROLLMENT_KEY" \
        -H "X-Auto-Enrollment-Secret: $AUTO_ENROLLMENT_SECRET" \
        -H "Content-Type: application/json" \
        -d "$payload" \
        "$PATCHMON_URL/api/v1/auto-enrollment/enroll" 2>"$CURL_STDERR")" || true
    HTTP_CODE="${out##*$'\n'}"
    HTTP_BODY="${out%$'\n'*}"
    if [ "$HTTP_CODE" = "$out" ]; then
        HTTP_BODY=""
    fi
    HTTP_BODY="${HTTP_BODY%$'\n'}"
    debug "HTTP $HTTP_CODE: $(printf '%s' "$HTTP_BODY" | sed 's/"api_key":"[^"]*"/"api_key":"***"/')"
}

# ----- discovery -----
if ! ct_list="$(pct list 2>&1)"; then
    error "pct list failed: $ct_list"
    exit 1
fi
ct_list="$(printf '%s\n' "$ct_list" | tail -n +2 | sed '/^[[:space:]]*$/d')"
if [ -z "$ct_list" ]; then
    total=0
else
    total="$(printf '%s\n' "$ct_list" | wc -l | tr -d ' ')"
fi
info "Found $total LXC container(s)"

enrolled=0
skipped=0
failed=0
aborted=false

while IFS= read -r line; do
    [ -z "$line" ] && continue
    vmid="$(printf '%s\n' "$line" | awk '{print $1}')"
    status="$(printf '%s\n' "$line" | awk '{print $2}')"
    name="$(printf '%s\n' "$line" | awk '{print $NF}')"
    info "Processing LXC $vmid: $name (status: $status)"

    if [ "$status" != running ] && [ "$SKIP_STOPPED" = true ]; then
        warn "Skipping $name: container is $status (set SKIP_STOPPED=false to enroll it anyway)"
        skipped=$((skipped + 1))
        continue
    fi

    hostname="$name"
    machine_id=""
    ip_address=""
    os_info=""
    if [ "$status" = running ]; then
        if in_ct "$vmid" test -f /etc/patchmon/config.yml </dev/null >/dev/null 2>&1 &&
            in_ct "$vmid" test -f /etc/patchmon/credentials.yml </dev/null >/dev/null 2>&1; then
            if in_ct "$vmid" /usr/local/bin/patchmon-agent ping </dev/null >/dev/null 2>&1; then
                info "✓ Host already enrolled and agent ping successful - skipping enrollment"
                skipped=$((skipped + 1))
                continue
            fi
            warn "Agent configuration found in $name but the agent ping failed - enrolling again"
        fi
        h="$(in_ct "$vmid" hostname </dev/null 2>/dev/null | head -n 1 | tr -d '[:space:]')"
        [ -n "$h" ] && hostname="$h"
        machine_id="$(in_ct "$vmid" sh -c 'cat /etc/machine-id 2>/dev/null || cat /var/lib/dbus/machine-id 2>/dev/null' </dev/null 2>/dev/null | head -n 1 | tr -d '[:space:]')"
        ip_address="$(in_ct "$vmid" sh -c "hostname -I 2>/dev/null | awk '{print \$1}'" </dev/null 2>/dev/null | head -n 1 | tr -d '[:space:]')"
        # shellcheck disable=SC2016 # expanded by the shell inside the container
        os_info="$(in_ct "$vmid" sh -c '. /etc/os-release 2>/dev/null && printf "%s" "$PRETTY_NAME"' </dev/null 2>/dev/null | head -n 1)"
    fi
    if [ -n "$machine_id" ]; then
        machine_id="proxmox-lxc-$vmid-$machine_id"
    else
        machine_id="proxmox-lxc-$vmid-$NODE_NAME"
    fi
    friendly_name="${HOST_PREFIX}${hostname}"

    if [ "$DRY_RUN" = true ]; then
        info "[DRY RUN] Would enroll: $friendly_name"
        enrolled=$((enrolled + 1))
        continue
    fi

    payload="$(jq -cn --arg fn "$friendly_name" --arg mid "$machine_id" --arg vmid "$vmid" \
        --arg node "$NODE_NAME" --arg ip "$ip_address" --arg os "$os_info" --arg status "$status" \
        '{friendly_name: $fn, machine_id: $mid,
          metadata: {vmid: $vmid, proxmox_node: $node, ip_address: $ip, os_info: $os, status: $status}}')"
    api_enroll "$payload"

    case "$HTTP_CODE" in
        201) ;;
        200)
            host_id="$(printf '%s' "$HTTP_BODY" | jq -r '.host.id // empty' 2>/dev/null)"
            warn "$friendly_name is already enrolled in PatchMon (host $host_id) but has no working agent: delete that host in PatchMon and run again"
            failed=$((failed + 1))
            continue
            ;;
        429)
            error "Rate limit exceeded - maximum hosts per day reached"
            error "Response: $HTTP_BODY"
            failed=$((failed + 1))
            aborted=true
            break
            ;;
        *)
            error "Failed to enroll $friendly_name - HTTP ${HTTP_CODE:-000}"
            [ -n "$HTTP_BODY" ] && error "Response: $HTTP_BODY"
            failed=$((failed + 1))
            case "$HTTP_CODE" in
                401|403) aborted=true; break ;;
            esac
            continue
            ;;
    esac

    api_id="$(printf '%s' "$HTTP_BODY" | jq -r '.host.api_id // empty')"
    api_key="$(printf '%s' "$HTTP_BODY" | jq -r '.host.api_key // empty')"
    if [ -z "$api_id" ] || [ -z "$api_key" ]; then
        error "Failed to enroll $friendly_name - the response carried no credentials"
        failed=$((failed + 1))
        continue
    fi
    info "Enrolled $friendly_name as $api_id"

    if [ "$status" != running ]; then
        warn "$friendly_name is $status: the agent was not installed. Start the container and run this script again after deleting the host in PatchMon, or install the agent with the host's credentials"
        failed=$((failed + 1))
        continue
    fi

    # curl inside the container: install it when missing.
    if ! in_ct "$vmid" sh -c 'command -v curl' </dev/null >/dev/null 2>&1; then
        info "Installing curl in $friendly_name"
        if [ "$FORCE_INSTALL" = true ]; then
            curl_install='if command -v apt-get >/dev/null 2>&1; then DEBIAN_FRONTEND=noninteractive apt-get install -y --fix-broken curl ca-certificates || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y --fix-broken curl ca-certificates; }; elif command -v dnf >/dev/null 2>&1; then dnf install -y curl; elif command -v yum >/dev/null 2>&1; then yum install -y curl; elif command -v apk >/dev/null 2>&1; then apk add --no-cache curl ca-certificates; else exit 1; fi'
        else
            curl_install='if command -v apt-get >/dev/null 2>&1; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y curl ca-certificates; elif command -v dnf >/dev/null 2>&1; then dnf install -y curl; elif command -v yum >/dev/null 2>&1; then yum install -y curl; elif command -v apk >/dev/null 2>&1; then apk add --no-cache curl ca-certificates; else exit 1; fi'
        fi
        out="$(in_ct "$vmid" sh -c "$curl_install" </dev/null 2>&1)"
        debug "$out"
        if ! in_ct "$vmid" sh -c 'command -v curl' </dev/null >/dev/null 2>&1; then
            warn "Failed to install agent in $friendly_name: curl is missing and could not be installed (try FORCE_INSTALL=true)"
            printf 'Install output: %s\n' "$(printf '%s\n' "$out" | tail -n 5)"
            failed=$((failed + 1))
            continue
        fi
    fi

    # The installer exchanges a one-time bootstrap token for the credentials, so the API
    # key never appears in the downloaded script.
    install_cmd="tmp=\$(mktemp /tmp/patchmon-install.XXXXXX) || exit 1
curl $CURL_FLAGS -f -H 'X-API-ID: $api_id' -H 'X-API-KEY: $api_key' '$PATCHMON_URL/api/v1/hosts/install?force=$FORCE_INSTALL' -o \"\$tmp\" || { rc=\$?; rm -f \"\$tmp\"; echo \"download of the installer failed (curl exit \$rc)\"; exit \$rc; }
sh \"\$tmp\"; rc=\$?
rm -f \"\$tmp\"
exit \$rc"
    info "Installing the PatchMon agent in $friendly_name"
    install_output="$(in_ct "$vmid" sh -c "$install_cmd" </dev/null 2>&1)"
    rc=$?
    debug "$install_output"
    if [ "$rc" -eq 0 ]; then
        success "$friendly_name enrolled and agent installed"
        enrolled=$((enrolled + 1))
    else
        warn "Failed to install agent in $friendly_name (exit: $rc)"
        printf 'Install output: %s\n' "$(printf '%s\n' "$install_output" | tail -n 5)"
        failed=$((failed + 1))
    fi
done <<< "$ct_list"

suffix=""
[ "$DRY_RUN" = true ] && suffix=" (dry run)"
echo
echo "=========================================="
echo "Enrollment Summary"
echo "=========================================="
info "Total Containers: $total"
info "${GREEN}Successfully Enrolled: $enrolled$suffix${NC}"
info "${YELLOW}Skipped: $skipped${NC}"
info "${RED}Failed: $failed${NC}"
echo "=========================================="
if [ "$aborted" = true ]; then
    error "Stopped early: the remaining containers were not processed"
fi
if [ "$failed" -gt 0 ]; then
    exit 1
fi
exit 0
