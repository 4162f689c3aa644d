import {
  AuditIcon,
  BellIcon,
  DashboardIcon,
  GroupsIcon,
  HostsIcon,
  KeyIcon,
  PackagesIcon,
  QueueIcon,
  RepositoriesIcon,
  SettingsIcon,
  UsersIcon,
  type IconComponent,
} from './components/icons';

export interface Section {
  /** Route path, also the sidebar link target. */
  path: string;
  label: string;
  icon: IconComponent;
  /** For sections still to come: the feature that brings them, as it reads in "This section arrives with …". */
  arrivesWith?: string;
  /** One sentence on what the section will show, for its empty state. */
  summary: string;
  /** The permission a user needs to see the section; without it the link is hidden and the page refuses. */
  permission: string;
  /** The sidebar group the link is listed under; absent for the main group. */
  group?: 'Administration';
}

export const sections: readonly Section[] = [
  {
    path: '/',
    permission: 'can_view_dashboard',
    label: 'Dashboard',
    icon: DashboardIcon,
    summary: 'Fleet totals, update trends and recent activity at a glance.',
  },
  {
    path: '/hosts',
    permission: 'can_view_hosts',
    label: 'Hosts',
    icon: HostsIcon,
    summary: 'Every enrolled host with its operating system, pending updates, security updates and last check-in.',
  },
  {
    path: '/packages',
    permission: 'can_view_packages',
    label: 'Packages',
    icon: PackagesIcon,
    summary: 'Installed packages across the fleet, which hosts need an update and which updates fix security issues.',
  },
  {
    path: '/repositories',
    permission: 'can_view_packages',
    label: 'Repositories',
    icon: RepositoriesIcon,
    summary: 'The package repositories your hosts use, whether they are secure, and which hosts use each one.',
  },
  {
    path: '/host-groups',
    permission: 'can_view_hosts',
    label: 'Host Groups',
    icon: GroupsIcon,
    summary: 'Groups that organise hosts by environment, role or team.',
  },
  {
    path: '/alerts',
    permission: 'can_view_alerts',
    label: 'Alerts',
    icon: BellIcon,
    summary: 'Hosts that went down, need security updates or a reboot, and available updates, with their history.',
  },
  {
    path: '/scheduled-reports',
    permission: 'can_view_reports',
    label: 'Scheduled Reports',
    icon: AuditIcon,
    summary: 'Fleet patch-status reports sent on a schedule by email or webhook, with their run history.',
  },
  {
    path: '/users',
    permission: 'can_view_users',
    group: 'Administration',
    label: 'Users',
    icon: UsersIcon,
    summary: 'Dashboard accounts, their roles and two-factor authentication.',
  },
  {
    path: '/roles',
    permission: 'can_view_users',
    group: 'Administration',
    label: 'Roles',
    icon: KeyIcon,
    summary: 'Roles and the permissions each one grants.',
  },
  {
    path: '/audit-log',
    permission: 'can_view_users',
    group: 'Administration',
    label: 'Audit Log',
    icon: AuditIcon,
    summary: 'Sign-ins, two-factor changes, and changes to users, roles and permissions.',
  },
  {
    path: '/jobs',
    permission: 'can_manage_automation',
    group: 'Administration',
    label: 'Jobs',
    icon: QueueIcon,
    summary: 'Background jobs, their schedules and the history of every run.',
  },
  {
    path: '/settings',
    permission: 'can_manage_settings',
    group: 'Administration',
    label: 'Settings',
    icon: SettingsIcon,
    summary: 'Server settings changed at run time: server URL, agent updates, branding and self sign-up.',
  },
];

/** The sections a user with these permissions may open, in sidebar order. */
export function visibleSections(can: (permission: string) => boolean): Section[] {
  return sections.filter((s) => can(s.permission));
}
