import type { RepositoryIndexEntry } from '../contracts/inference-api.ts';
import type { Classifier } from './classifier.ts';
import { ModelNotFoundError } from './errors.ts';

export type { RepositoryIndexEntry };

const byVersionDescending = (a: string, b: string) => Number(b) - Number(a);

/**
 * The loaded models, by name and version, and what is known of those that are not loaded. A request
 * without a version gets the newest ready one (highest version number), as Triton does by default.
 */
export class ModelRegistry {
  private readonly byName = new Map<string, Map<string, Classifier>>();
  private readonly unavailable = new Map<string, RepositoryIndexEntry>();

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

  /** Records a version found in the repository that is not served, and why (an invalid manifest, say). */
  markUnavailable(name: string, version: string, reason: string): void {
    this.unavailable.set(`${name}/${version}`, { name, version, state: 'UNAVAILABLE', reason });
  }

  /** The classifier for `name` at `version`, or its newest version; throws ModelNotFoundError. */
  resolve(name: string, version?: string): Classifier {
    const versions = this.byName.get(name);
    if (!versions || versions.size === 0) throw new ModelNotFoundError(name);
    if (version !== undefined) {
      const exact = versions.get(version);
      if (!exact) throw new ModelNotFoundError(name, version);
      return exact;
    }
    const newest = [...versions.keys()].sort(byVersionDescending)[0];
    return versions.get(newest as string) as Classifier;
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

  /** Every version served or known to be unavailable, by name then version (newest first). */
  index(): RepositoryIndexEntry[] {
    const ready: RepositoryIndexEntry[] = this.list().map((c) => ({
      name: c.manifest.name,
      version: c.manifest.version,
      state: 'READY',
      reason: '',
    }));
    return [...ready, ...this.unavailable.values()].sort(
      (a, b) => a.name.localeCompare(b.name) || byVersionDescending(a.version, b.version),
    );
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
