import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import { signupStatusQueryKey } from '../../auth/guards';
import { Card, Checkbox, FormError } from '../../components/forms';
import { PageHeader } from '../../components/PageHeader';
import { useToast } from '../../components/Toasts';
import { usePageTitle } from '../../usePageTitle';
import { BrandingCard, ServerSettingsCard } from './GeneralSettings';
import { SettingsTabs } from './SettingsTabs';

const authSettingsKey = ['auth', 'settings'] as const;

/** Server settings an administrator changes at run time. */
export default function Settings() {
  usePageTitle('Settings');
  return (
    <>
      <PageHeader title="Settings" description="Server settings that take effect at once, without a restart." />
      <SettingsTabs />
      <div className="grid max-w-3xl gap-6">
        <ServerSettingsCard />
        <BrandingCard />
        <AuthenticationCard />
      </div>
    </>
  );
}

function AuthenticationCard() {
  const toast = useToast();
  const queryClient = useQueryClient();
  const settings = useQuery({
    queryKey: authSettingsKey,
    queryFn: async ({ signal }) => unwrap(await api.GET('/auth/settings', { signal })),
  });
  // The box follows the click at once; the server's answer then confirms or reverts it.
  const [pending, setPending] = useState<boolean | null>(null);
  const save = useMutation({
    mutationFn: async (signupEnabled: boolean) => unwrap(await api.PUT('/auth/settings', { body: { signupEnabled } })),
    onSuccess: (saved) => {
      queryClient.setQueryData(authSettingsKey, saved);
      queryClient.setQueryData(signupStatusQueryKey, saved.signupEnabled);
      toast.show(saved.signupEnabled ? 'Self sign-up is on.' : 'Self sign-up is off.', { kind: 'success' });
    },
    onError: (err) => toast.show(`The setting was not saved: ${err.message}`, { kind: 'error' }),
    onSettled: () => setPending(null),
  });

  return (
    <Card title="Authentication" description="Who may create an account. Sign-in methods and password rules are set in the server's environment.">
      {settings.isPending && (
        <p role="status" className="text-sm text-slate-500">
          Loading…
        </p>
      )}
      {settings.isError && <FormError>{settings.error.message}</FormError>}
      {settings.data && (
        <Checkbox
          label="Allow self sign-up"
          hint="Anyone who can reach this server may create an account from the sign-in page. New accounts get the server's default role."
          checked={pending ?? settings.data.signupEnabled}
          disabled={pending !== null}
          onChange={(e) => {
            setPending(e.target.checked);
            save.mutate(e.target.checked);
          }}
        />
      )}
    </Card>
  );
}
