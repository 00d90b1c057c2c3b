import { useEffect, useRef, useState } from 'react';
import { Link } from 'wouter';
import { ApiError, change, withQuery } from '../../api/client.js';
import type { AdvisoryFeed, PlatformScan, VulnerabilityReport } from '../../api/types.js';
import { useResource } from '../../api/use-api.js';
import { Empty, ErrorNote, Loading, Time, useAction } from '../../components/common.js';
import { SearchBox } from '../../components/search-box.js';
import { paths } from '../../paths.js';
import { sbomLabel } from './sbom-label.js';
import { distroName, PlatformScans, platformLabel, SeverityCounts, statusNames, VulnerabilityTable } from './vulnerability-table.js';

/** How often a scan still under way is read again. */
const refreshMs = 2000;
/** A scan on push is queued moments after the push (through the event outbox): until then the image reads "not scanned". */
const onPushGraceMs = 60_000;

/**
 * The artifact page's vulnerabilities: the scan's state, counts per severity (per platform for an index, and rolled
 * up), and the findings, filtered by the server. Those who may push can ask for a scan; the answer's status is
 * shown at once, then read again until the scan has finished.
 */
export function Vulnerabilities({ repository, digest, pushedAt, canScan }: {
  readonly repository: string;
  readonly digest: string;
  readonly pushedAt: string | null;
  readonly canScan: boolean;
}) {
  const [severity, setSeverity] = useState('');
  const [fixable, setFixable] = useState(false);
  const [pkg, setPkg] = useState('');
  const report = useResource<VulnerabilityReport>(withQuery('/api/v1/vulnerabilities', {
    repository, reference: digest, severity, package: pkg, fixable: fixable ? 'true' : undefined,
  }));
  // The status POST /api/v1/scans answered, shown until a report read after it arrives (`read` once that read began).
  const [posted, setPosted] = useState<{ report: VulnerabilityReport; read: boolean } | undefined>(undefined);
  const scan = useAction();

  const data = report.data && posted ? { ...report.data, status: posted.report.status, platforms: posted.report.platforms } : report.data;
  // While an image is queued or scanned again the API lists no findings for it: the list waits for the scan.
  const anyDone = (data?.platforms ?? []).some((platform) => platform.status === 'done');
  // A link to this section (`#vulnerabilities`, as the project's overview makes) brings it into view once it has its report.
  const broughtIntoView = useRef(false);
  useEffect(() => {
    if (data === undefined || broughtIntoView.current || location.hash !== '#vulnerabilities') return;
    broughtIntoView.current = true;
    document.getElementById('vulnerabilities-heading')?.scrollIntoView();
  }, [data]);
  // Read once a scan has finished (a first scan reads its distro's advisories): when, and whether that failed.
  const feeds = useResource<{ items: AdvisoryFeed[] }>(anyDone ? '/api/v1/advisory-feeds' : null);
  const sources = [...new Set((data?.platforms ?? []).flatMap((platform) => platform.distro?.ecosystem?.split(':')[0] ?? []))];
  const feedOf = new Map((feeds.data?.items ?? []).map((feed) => [feed.source, feed]));
  const justPushed = pushedAt !== null && Date.now() - Date.parse(pushedAt) < onPushGraceMs;
  const pending = data !== undefined && (data.status === 'queued' || data.status === 'scanning' || (data.status === 'not scanned' && justPushed));

  // biome-ignore lint/correctness/useExhaustiveDependencies: data is a dependency so that each new report starts a new wait
  useEffect(() => {
    if (!pending || report.loading) return;
    const timer = setTimeout(() => {
      setPosted((previous) => previous && { ...previous, read: true });
      report.reload();
    }, refreshMs);
    return () => clearTimeout(timer);
  }, [pending, report.loading, report.reload, data]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new report is the event; posted is read, not watched
  useEffect(() => {
    if (posted?.read) setPosted(undefined);
  }, [report.data]);

  const scanNow = () => scan.run(async () => {
    setPosted({ report: await change<VulnerabilityReport>('POST', '/api/v1/scans', { repository, reference: digest }), read: false });
  });

  if (report.error instanceof ApiError && report.error.code === 'UNSUPPORTED' && !data) {
    return (
      <section aria-labelledby="vulnerabilities-heading" className="card">
        <h2 id="vulnerabilities-heading">Vulnerabilities</h2>
        <p className="muted">Vulnerability scanning is turned off on this registry.</p>
      </section>
    );
  }
  const filtered = severity !== '' || fixable || pkg !== '';
  const anyFindings = (data?.platforms ?? []).some((platform) => platform.summary.total > 0);
  return (
    <section aria-labelledby="vulnerabilities-heading" className="card">
      <div className="title-row">
        <h2 id="vulnerabilities-heading">Vulnerabilities</h2>
        {canScan && data && data.status !== 'unsupported' && (
          <button type="button" disabled={scan.busy || data.status === 'queued' || data.status === 'scanning'} onClick={() => void scanNow()}>Scan now</button>
        )}
      </div>
      <ErrorNote error={scan.error} what="The scan could not be started" />
      <ErrorNote error={report.error} what="The vulnerabilities could not be read" />
      {!data && report.loading && <Loading what="Loading vulnerabilities" />}
      {data && (
        <>
          <ScanState report={data} canScan={canScan} />
          {data.status !== 'unsupported' && data.platforms.length === 1 && <ImageScan repository={repository} platform={data.platforms[0]!} feeds={sources.map((source) => feedOf.get(source))} />}
          {data.platforms.length > 1 && <PlatformScans platforms={data.platforms} />}
          {sources.map((source) => feedOf.get(source)?.error && (
            <p key={source} className="note bad">The {source} advisories could not be read at the last refresh: {feedOf.get(source)!.error}</p>
          ))}
          {anyDone && (anyFindings || filtered) && (
            <>
              <h3>{filtered ? 'Findings matching the filters' : data.platforms.length > 1 ? 'Findings on all platforms' : 'Findings'}</h3>
              <SeverityCounts summary={data.summary} label="Findings by severity" />
              <Filters severity={severity} setSeverity={setSeverity} fixable={fixable} setFixable={setFixable} pkg={pkg} setPkg={setPkg} />
              {data.vulnerabilities.length === 0
                ? <Empty>No findings match the filters.</Empty>
                : <VulnerabilityTable vulnerabilities={data.vulnerabilities} platforms={data.platforms} />}
            </>
          )}
          {!anyFindings && !filtered && data.status === 'done' && (
            <Empty>No known vulnerabilities in the packages found.</Empty>
          )}
        </>
      )}
    </section>
  );
}

/** The status in words (no spinner): announced politely as it changes, since it changes by itself. */
function ScanState({ report, canScan }: { readonly report: VulnerabilityReport; readonly canScan: boolean }) {
  const failed = report.platforms.filter((platform) => platform.status === 'failed');
  const index = report.platforms.length > 1;
  const explanation: Record<VulnerabilityReport['status'], string> = {
    queued: 'The scan starts as soon as a scanner is free; this page follows it.',
    scanning: 'Reading the image\'s layers (and, for a first image of its distro, the advisories) and matching its packages.',
    done: index ? 'Every platform has been scanned.' : '',
    failed: index ? 'The scan of a platform failed.' : 'The scan failed.',
    unsupported: 'This is not a container image (its layers are not file systems): there is nothing to scan.',
    'not scanned': `${index ? 'A platform of this index has' : 'This image has'} not been scanned yet${canScan ? ': use Scan now' : ''}.`,
  };
  return (
    <>
      <p role="status" className="scan-status">
        <strong>{statusNames[report.status] ?? report.status}</strong>{explanation[report.status] ? ` · ${explanation[report.status]}` : ''}
      </p>
      {failed.map((platform) => (
        <p key={platform.digest} className="note bad">
          {index ? `${platformLabel(platform)}: ` : ''}{platform.reason ?? 'no reason was given'}
        </p>
      ))}
    </>
  );
}

/** One image's scan: what was found in it, and when. */
function ImageScan({ repository, platform, feeds }: {
  readonly repository: string;
  readonly platform: PlatformScan;
  readonly feeds: readonly (AdvisoryFeed | undefined)[];
}) {
  // Facts of a scan that completed, if one ever did (a rescan under way keeps them; a failed first scan has none).
  if (platform.status !== 'done' && platform.matchedAt === undefined) return null;
  const read = feeds.filter((feed): feed is AdvisoryFeed => feed !== undefined);
  return (
    <dl className="facts scan-facts" aria-label="Scan">
      <div><dt>Distro</dt><dd>{distroName(platform) ?? <span className="muted">none found</span>}</dd></div>
      <div><dt>Packages</dt><dd>{platform.packages}</dd></div>
      <div><dt>Scanned</dt><dd><Time iso={platform.finishedAt} /></dd></div>
      <div><dt>Last matched</dt><dd><Time iso={platform.matchedAt} /></dd></div>
      {read.length > 0 && (
        <div><dt>Advisories read</dt><dd>{read.map((feed, at) => <span key={feed.source}>{at > 0 ? ', ' : ''}{feed.source} <Time iso={feed.refreshedAt} /></span>)}</dd></div>
      )}
      {platform.sbom && (
        <div><dt>SBOM</dt><dd><Link href={paths.artifact(repository, platform.sbom.digest)}>{sbomLabel(platform.sbom.artifactType)}</Link></dd></div>
      )}
    </dl>
  );
}

const minimums = [['', 'Any'], ['critical', 'Critical'], ['high', 'High or worse'], ['medium', 'Medium or worse'], ['low', 'Low or worse']] as const;

function Filters({ severity, setSeverity, fixable, setFixable, pkg, setPkg }: {
  readonly severity: string;
  readonly setSeverity: (value: string) => void;
  readonly fixable: boolean;
  readonly setFixable: (value: boolean) => void;
  readonly pkg: string;
  readonly setPkg: (value: string) => void;
}) {
  return (
    <div className="filters">
      <label>Minimum severity
        <select value={severity} onChange={(event) => setSeverity(event.target.value)}>
          {minimums.map(([value, name]) => <option key={value} value={value}>{name}</option>)}
        </select>
      </label>
      <label className="check"><input type="checkbox" checked={fixable} onChange={(event) => setFixable(event.target.checked)} /> Only fixable</label>
      <SearchBox label="Filter by package" placeholder="Filter by package name" value={pkg} onChange={setPkg} />
    </div>
  );
}
