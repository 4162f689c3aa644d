#!/bin/sh
# PatchMon direct-host auto-enrollment.
#
# Enrolls the machine it runs on in PatchMon with an auto-enrollment token and installs
# the PatchMon agent: one command for cloud-init, Ansible or a golden image's first boot.
# Run as root. A machine whose agent is already configured and answers a ping is left
# alone, so running it again is safe.
#
#   curl -s "https://patchmon.example.com/api/v1/auto-enrollment/script?type=direct-host&token_key=KEY&token_secret=SECRET" | sh
#
# Environment variables (all optional when the script was downloaded from PatchMon):
#   PATCHMON_URL            PatchMon server URL
#   AUTO_ENROLLMENT_KEY     token key (patchmon_ae_...)
#   AUTO_ENROLLMENT_SECRET  token secret
#   CURL_FLAGS              curl options, default -s (-sk for self-signed certificates)
#   FRIENDLY_NAME           name shown in PatchMon, default: HOST_PREFIX + hostname
#   HOST_PREFIX             prefix for the host name, e.g. "prod-"
#   DRY_RUN=true            show what would be enrolled, change nothing
#   FORCE_INSTALL=true      install the agent even where the package manager is broken
#   DEBUG=true              log the API request and response
#   COLOR=auto|always|never coloured output (auto: when writing to a terminal)
#   PATCHMON_ETC            the agent's configuration directory, default /etc/patchmon
#   PATCHMON_AGENT_BIN      the agent binary, default /usr/local/bin/patchmon-agent
#
# Requires: curl and a POSIX sh.

# ===== CONFIGURATION =====
PATCHMON_URL="${PATCHMON_URL:-https://patchmon.example.com}"
AUTO_ENROLLMENT_KEY="${AUTO_ENROLLMENT_KEY:-your_key_here}"
AUTO_ENROLLMENT_SECRET="${AUTO_ENROLLMENT_SECRET:-your_secret_here}"
CURL_FLAGS="${CURL_FLAGS:--s}"
FORCE_INSTALL="${FORCE_INSTALL:-false}"
DRY_RUN="${DRY_RUN:-false}"
HOST_PREFIX="${HOST_PREFIX:-}"
FRIENDLY_NAME="${FRIENDLY_NAME:-}"
DEBUG="${DEBUG:-false}"
COLOR="${COLOR:-auto}"
PATCHMON_ETC="${PATCHMON_ETC:-/etc/patchmon}"
PATCHMON_AGENT_BIN="${PATCHMON_AGENT_BIN:-/usr/local/bin/patchmon-agent}"
# ===== END CONFIGURATION =====

set -u

esc=$(printf '\033')
if [ "$COLOR" = always ] || { [ "$COLOR" = auto ] && [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; }; then
    RED="${esc}[0;31m" GREEN="${esc}[0;32m" YELLOW="${esc}[1;33m" BLUE="${esc}[0;34m" NC="${esc}[0m"
else
    RED='' GREEN='' YELLOW='' BLUE='' NC=''
fi

info()    { printf '%s[INFO]%s %s\n' "$BLUE" "$NC" "$*"; }
success() { printf '%s[SUCCESS]%s %s\n' "$GREEN" "$NC" "$*"; }
warn()    { printf '%s[WARN]%s %s\n' "$YELLOW" "$NC" "$*"; }
error()   { printf '%s[ERROR]%s %s\n' "$RED" "$NC" "$*" >&2; }
debug()   { if [ "$DEBUG" = true ]; then printf '[DEBUG] %s\n' "$*" >&2; fi; }

PATCHMON_URL="${PATCHMON_URL%/}"

# json_escape quotes a value for a JSON string.
json_escape() {
    printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | tr -d '\000-\037'
}

# json_field prints the string value of "name" in the first object that has it.
json_field() {
    printf '%s' "$2" | tr -d '\n' | sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" | head -n 1
}

# ----- preflight -----
if ! command -v curl >/dev/null 2>&1; then
    error "Required command 'curl' not found. Please install it first."
    exit 1
fi
if [ "$AUTO_ENROLLMENT_KEY" = your_key_here ] || [ "$AUTO_ENROLLMENT_SECRET" = your_secret_here ] ||
    [ -z "$AUTO_ENROLLMENT_KEY" ] || [ -z "$AUTO_ENROLLMENT_SECRET" ]; then
    error "AUTO_ENROLLMENT_KEY and AUTO_ENROLLMENT_SECRET must be set (create a token in PatchMon: Settings → Integrations)"
    exit 1
fi
case "$PATCHMON_URL" in
    http://*|https://*) ;;
    *) error "PATCHMON_URL must start with http:// or https:// (got '$PATCHMON_URL')"; exit 1 ;;
esac
if [ "$DRY_RUN" != true ] && [ "$(id -u)" != 0 ]; then
    error "This script must be run as root (it installs the PatchMon agent)"
    exit 1
fi

# ----- already enrolled? -----
if [ -f "$PATCHMON_ETC/config.yml" ] && [ -f "$PATCHMON_ETC/credentials.yml" ]; then
    if [ -x "$PATCHMON_AGENT_BIN" ] && "$PATCHMON_AGENT_BIN" ping >/dev/null 2>&1; then
        info "✓ Host already enrolled and agent ping successful - skipping enrollment"
        exit 0
    fi
    warn "Agent configuration found but the agent ping failed - enrolling again"
fi

# ----- facts -----
host_name="$(hostname 2>/dev/null || uname -n)"
machine_id="$(cat /etc/machine-id 2>/dev/null || cat /var/lib/dbus/machine-id 2>/dev/null || true)"
machine_id="$(printf '%s' "$machine_id" | tr -d '[:space:]')"
[ -z "$machine_id" ] && machine_id="direct-host-$host_name"
ip_address="$(hostname -I 2>/dev/null | awk '{print $1}')"
os_info=""
if [ -r /etc/os-release ]; then
    os_info="$(sed -n 's/^PRETTY_NAME=//p' /etc/os-release | head -n 1 | sed -e 's/^"//' -e 's/"$//')"
fi
if [ -z "$FRIENDLY_NAME" ]; then
    FRIENDLY_NAME="${HOST_PREFIX}${host_name}"
fi

info "Enrolling $FRIENDLY_NAME (machine ID $machine_id) in $PATCHMON_URL"
if [ "$DRY_RUN" = true ]; then
    info "[DRY RUN] Would enroll: $FRIENDLY_NAME"
    exit 0
fi

payload="{\"friendly_name\":\"$(json_escape "$FRIENDLY_NAME")\",\"machine_id\":\"$(json_escape "$machine_id")\",\"metadata\":{\"ip_address\":\"$(json_escape "$ip_address")\",\"os_info\":\"$(json_escape "$os_info")\",\"hostname\":\"$(json_escape "$host_name")\"}}"
debug "POST $PATCHMON_URL/api/v1/auto-enrollment/enroll $payload"

# CURL_FLAGS holds several options and is split into words on purpose.
# shellcheck disable=SC2086
out="$(curl $CURL_FLAGS -w '
%{http_code}' -X POST \
    -H "X-Auto-Enrollment-Key: $AUTO_ENROLLMENT_KEY" \
    -H "X-Auto-Enrollment-Secret: $AUTO_ENROLLMENT_SECRET" \
    -H "Content-Type: application/json" \
    -d "$payload" \
    "$PATCHMON_URL/api/v1/auto-enrollment/enroll" 2>/dev/null)" || true
code="$(printf '%s\n' "$out" | tail -n 1)"
body="$(printf '%s\n' "$out" | sed '$d')"
debug "HTTP $code: $(printf '%s' "$body" | sed 's/"api_key":"[^"]*"/"api_key":"***"/')"

case "$code" in
    201) ;;
    200)
        error "This machine is already enrolled in PatchMon (host $(json_field id "$body")) but has no working agent: delete that host in PatchMon and run this script again"
        exit 1
        ;;
    429)
        error "Rate limit exceeded - maximum hosts per day reached"
        error "Response: $body"
        exit 1
        ;;
    *)
        error "Failed to enroll $FRIENDLY_NAME - HTTP ${code:-000}"
        [ -n "$body" ] && error "Response: $body"
        exit 1
        ;;
esac

api_id="$(json_field api_id "$body")"
api_key="$(json_field api_key "$body")"
if [ -z "$api_id" ] || [ -z "$api_key" ]; then
    error "Failed to enroll $FRIENDLY_NAME - the response carried no credentials"
    exit 1
fi
info "Enrolled $FRIENDLY_NAME as $api_id"

# The installer exchanges a one-time bootstrap token for the credentials, so the API key
# never appears in the downloaded script.
tmp="$(mktemp /tmp/patchmon-install.XXXXXX)" || exit 1
trap 'rm -f "$tmp"' EXIT
# shellcheck disable=SC2086
if ! curl $CURL_FLAGS -f -H "X-API-ID: $api_id" -H "X-API-KEY: $api_key" \
    "$PATCHMON_URL/api/v1/hosts/install?force=$FORCE_INSTALL" -o "$tmp"; then
    error "Failed to download the agent installer from $PATCHMON_URL"
    exit 1
fi
info "Installing the PatchMon agent"
if sh "$tmp"; then
    success "$FRIENDLY_NAME enrolled and agent installed"
    exit 0
fi
error "Failed to install the agent (host $api_id is enrolled; run the installer again from the host page in PatchMon)"
exit 1
