# The cURL examples of the upstream "Integration API documentation (scoped credentials)"
# and "GetHomepage Integration Guide", one command per line, exactly as printed (the line
# continuations joined). The test replaces only the documented placeholders:
# patchmon_ae_abc123, your_secret_here, HOST_UUID, https://patchmon.example.com,
# http://your-patchmon-url:3000, your_key:your_secret and YOUR_BASE64_CREDENTIALS.
curl -u "patchmon_ae_abc123:your_secret_here" https://patchmon.example.com/api/v1/api/hosts
curl -u "patchmon_ae_abc123:your_secret_here" "https://patchmon.example.com/api/v1/api/hosts?include=stats"
curl -u "patchmon_ae_abc123:your_secret_here" "https://patchmon.example.com/api/v1/api/hosts?hostgroup=Production"
curl -u "patchmon_ae_abc123:your_secret_here" "https://patchmon.example.com/api/v1/api/hosts?hostgroup=Production&include=stats"
curl -u "patchmon_ae_abc123:your_secret_here" "https://patchmon.example.com/api/v1/api/hosts?hostgroup=Production,Development"
curl -u "patchmon_ae_abc123:your_secret_here" https://patchmon.example.com/api/v1/api/hosts/HOST_UUID/stats
curl -u "patchmon_ae_abc123:your_secret_here" https://patchmon.example.com/api/v1/api/hosts/HOST_UUID/system
curl -u "patchmon_ae_abc123:your_secret_here" https://patchmon.example.com/api/v1/api/hosts/HOST_UUID/packages
curl -u "patchmon_ae_abc123:your_secret_here" "https://patchmon.example.com/api/v1/api/hosts/HOST_UUID/packages?updates_only=true"
curl -u "patchmon_ae_abc123:your_secret_here" https://patchmon.example.com/api/v1/api/hosts | jq .
curl -v -u "patchmon_ae_abc123:your_secret_here" https://patchmon.example.com/api/v1/api/hosts
echo -n "your_key:your_secret" | base64
curl -H "Authorization: Basic YOUR_BASE64_CREDENTIALS" http://your-patchmon-url:3000/api/v1/gethomepage/stats
curl -H "Authorization: Basic YOUR_BASE64_CREDENTIALS" http://your-patchmon-url:3000/api/v1/gethomepage/stats | jq
curl -s -H "Authorization: Basic YOUR_BASE64_CREDENTIALS" http://your-patchmon-url:3000/api/v1/gethomepage/stats | jq '{top_os_1_name, top_os_1_count, top_os_2_name, top_os_2_count, top_os_3_name, top_os_3_count}'
curl -X DELETE -u "patchmon_ae_abc123:your_secret_here" https://patchmon.example.com/api/v1/api/hosts/HOST_UUID
