// @ts-check
// Seeding the inventory the way production does: a host is created through the API and
// its "agent" (the test process) sends reports to the real agent endpoint with the
// host's X-API-ID / X-API-KEY credentials.
import assert from 'node:assert/strict';
import { apiCall } from './flows.mjs';

/**
 * @typedef {{ name: string, description?: string, category?: string, currentVersion: string,
 *   availableVersion?: string, needsUpdate?: boolean, isSecurityUpdate?: boolean }} ReportPackage
 * @typedef {{ name: string, url: string, distribution: string, components: string,
 *   repoType: string, isEnabled: boolean, isSecure: boolean }} ReportRepository
 */

/**
 * A full report in the agent's wire format.
 * @param {string} hostname
 * @param {ReportPackage[]} packages
 * @param {ReportRepository[]} repositories
 */
export function fullReport(hostname, packages, repositories) {
  return {
    packages: packages.map((p) => ({ description: `${p.name} package`, category: 'libs', availableVersion: '', needsUpdate: false, isSecurityUpdate: false, ...p })),
    repositories,
    osType: 'Ubuntu',
    osVersion: '24.04',
    hostname,
    ip: '192.0.2.10',
    architecture: 'x86_64',
    agentVersion: '1.4.0',
    kernelVersion: '6.8.0-45-generic',
    packageManager: 'apt',
  };
}

/**
 * Creates a host as an administrator and sends its first full report as its agent.
 * @param {string} baseUrl
 * @param {string} token an administrator's access token
 * @param {{ name: string, groups?: string[], packages: ReportPackage[], repositories: ReportRepository[] }} host
 * @returns {Promise<string>} the host id
 */
export async function addReportingHost(baseUrl, token, { name, groups, packages, repositories }) {
  const created = await apiCall(baseUrl, 'POST', '/hosts', {
    token,
    body: { friendly_name: name, ...(groups ? { hostGroupIds: groups } : {}) },
    expect: 201,
  });
  const res = await fetch(`${baseUrl}/api/v1/hosts/update`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-API-ID': created.apiId, 'X-API-KEY': created.apiKey },
    body: JSON.stringify(fullReport(`${name}.example.com`, packages, repositories)),
  });
  assert.equal(res.status, 200, `report of ${name}: ${await res.text()}`);
  return /** @type {string} */ (created.hostId);
}
