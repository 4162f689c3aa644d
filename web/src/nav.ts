import {
  DashboardIcon,
  GroupsIcon,
  HostsIcon,
  PackagesIcon,
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
}

export const sections: readonly Section[] = [
  {
    path: '/',
    label: 'Dashboard',
    icon: DashboardIcon,
    summary: 'Server health at a glance.',
  },
  {
    path: '/hosts',
    label: 'Hosts',
    icon: HostsIcon,
    arrivesWith: 'the host inventory',
    summary: 'Every enrolled host with its operating system, pending updates, security updates and last check-in.',
  },
  {
    path: '/packages',
    label: 'Packages',
    icon: PackagesIcon,
    arrivesWith: 'the package inventory',
    summary: 'Installed packages across the fleet, which hosts need an update and which updates fix security issues.',
  },
  {
    path: '/repositories',
    label: 'Repositories',
    icon: RepositoriesIcon,
    arrivesWith: 'the repository inventory',
    summary: 'The package repositories your hosts use, whether they are secure, and which hosts use each one.',
  },
  {
    path: '/host-groups',
    label: 'Host Groups',
    icon: GroupsIcon,
    arrivesWith: 'host groups',
    summary: 'Groups that organise hosts by environment, role or team.',
  },
  {
    path: '/users',
    label: 'Users',
    icon: UsersIcon,
    arrivesWith: 'user management',
    summary: 'Dashboard accounts, their roles and two-factor authentication.',
  },
  {
    path: '/settings',
    label: 'Settings',
    icon: SettingsIcon,
    arrivesWith: 'server settings',
    summary: 'Server URL, agent update policy, enrollment tokens and integrations.',
  },
];
