import type { RepositoryIndexEntry } from '../contracts/inference-api.ts';
import { defaultVersion } from '../contracts/serving-policy.ts';
import type { ServingPolicyRead } from '../platform/serving-policy-file.ts';
import type { Classifier } from './classifier.ts';
import { ModelNotFoundError } from './errors.ts';

export type { RepositoryIndexEntry };

const byVersionDescending = (a: string, b: string) => Number(b) - Number(a);

/**
 * The loaded models, by name and version, and what is known of those that are not loaded. A request
 * without a version gets the model's default: the version its `serving.json` names when that version
 * is ready, else the newest ready one (highest version number), as Triton does by default.
 */
export class ModelRegistry {
  private readonly byName = new Map<string, Map<string, Classifier>>();
  private readonly unavailable = new Map<string, RepositoryIndexEntry>();
  private readonly policies = new Map<string, ServingPolicyRead>();

  /** Sets which version of `name` is its default (its serving.json as last read; see defaultVersion). */
  setPolicy(name: string, read: ServingPolicyRead): void {
    this.policies.set(name, read);
  }

  /** The serving policy of `name` as last read (absent file: `{ policy: null }`). */
  policy(name: string): ServingPolicyRead {
    return this.policies.get(name) ?? { policy: null };
  }

  /** The version a request for `name` without a version gets; undefined when none is ready. */
  defaultVersion(name: string): string | undefined {
    return defaultVersion(this.versions(name), this.policy(name).policy);
  }

  /** The classifier serving `name` at exactly `version`, if any. */
  get(name: string, version: string): Classifier | undefined {
    return this.byName.get(name)?.get(version);
  }

  /** Serves `classifier` as its manifest's name and version, replacing any classifier there. */
  add(classifier: Classifier): Classifier | undefined {
    const { name, version } = classifier.manifest;
    let versions = this.byName.get(name);
    if (!versions) {
      versions = new Map();
      this.byName.set(name, versions);
    }
    const replaced = versions.get(version);
    versions.set(version, classifier);
    this.unavailable.delete(`${name}/${version}`);
    return replaced;
  }

  /** Stops serving every version of `name` and returns them (to be closed); records why. */
  remove(name: string, reason: string): Classifier[] {
    const versions = this.byName.get(name);
    this.byName.delete(name);
    const removed = [...(versions?.values() ?? [])];
    for (const c of removed) this.markUnavailable(name, c.manifest.version, reason);
    return removed;
  }

  /** Stops serving one version (it vanished from the repository) and returns it. */
  removeVersion(name: string, version: string, reason: string): Classifier | undefined {
    const versions = this.byName.get(name);
    const removed = versions?.get(version);
    versions?.delete(version);
    if (versions?.size === 0) this.byName.delete(name);
    if (removed) this.markUnavailable(name, version, reason);
    return removed;
  }

  /** Why a version is indexed UNAVAILABLE, or undefined when it is not. */
  unavailableReason(name: string, version: string): string | undefined {
    return this.unavailable.get(`${name}/${version}`)?.reason;
  }

  /** Records a version found in the repository that is not served, and why (an invalid manifest, say). */
  markUnavailable(name: string, version: string, reason: string): void {
    this.unavailable.set(`${name}/${version}`, { name, version, state: 'UNAVAILABLE', reason });
  }

  /** The classifier for `name` at `version`, or its default version; throws ModelNotFoundError. */
  resolve(name: string, version?: string): Classifier {
    const versions = this.byName.get(name);
    if (!versions || versions.size === 0) throw new ModelNotFoundError(name);
    if (version !== undefined) {
      const exact = versions.get(version);
      if (!exact) throw new ModelNotFoundError(name, version);
      return exact;
    }
    return versions.get(this.defaultVersion(name) as string) as Classifier;
  }

  /** The ready versions of `name`, newest first (empty when it is not loaded). */
  versions(name: string): string[] {
    return [...(this.byName.get(name)?.keys() ?? [])].sort(byVersionDescending);
  }

  /** Every loaded classifier, models in name order and versions newest first. */
  list(): Classifier[] {
    return [...this.byName.keys()]
      .sort()
      .flatMap((name) => this.versions(name).map((v) => this.byName.get(name)?.get(v) as Classifier));
  }

  /**
   * Every version served or known to be unavailable, by name then version (newest first). A ready
   * version's `reason` is empty, as in Triton, except on a default that its serving.json could not
   * set (an invalid file, a version that is not ready): there it says why the newest serves instead.
   */
  index(): RepositoryIndexEntry[] {
    const ready: RepositoryIndexEntry[] = this.list().map((c) => {
      const { name, version } = c.manifest;
      return { name, version, state: 'READY', reason: this.defaultProblem(name, version) };
    });
    return [...ready, ...this.unavailable.values()].sort(
      (a, b) => a.name.localeCompare(b.name) || byVersionDescending(a.version, b.version),
    );
  }

  /** Why `version` is the default of `name` against its serving.json's word, or '' when it is not so. */
  defaultProblem(name: string, version: string): string {
    if (this.defaultVersion(name) !== version) return '';
    const { policy, error } = this.policy(name);
    if (error) return `default because newest: serving.json ignored: ${error}`;
    if (policy && policy.defaultVersion !== version) {
      return `default because newest: serving.json names version ${policy.defaultVersion}, which is not ready`;
    }
    return '';
  }

  get size(): number {
    return this.list().length;
  }

  /** Closes every loaded classifier (each drains its queue first). */
  async closeAll(): Promise<void> {
    const all = this.list();
    this.byName.clear();
    await Promise.all(all.map((c) => c.close()));
  }
}
