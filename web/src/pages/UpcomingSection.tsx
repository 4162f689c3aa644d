import { EmptyState } from '../components/EmptyState';
import { PageHeader } from '../components/PageHeader';
import type { Section } from '../nav';
import { usePageTitle } from '../usePageTitle';

/** The page of a sidebar section whose feature has not shipped yet. */
export default function UpcomingSection({ section }: { section: Section }) {
  usePageTitle(section.label);
  return (
    <>
      <PageHeader title={section.label} />
      <EmptyState icon={section.icon} title={`This section arrives with ${section.arrivesWith ?? 'a later release'}.`}>
        <p>{section.summary}</p>
      </EmptyState>
    </>
  );
}
