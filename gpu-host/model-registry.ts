import type { Classifier } from './classifier.ts';
import { ModelNotFoundError } from './errors.ts';

/**
 * The loaded models, by name and version. A request without a version gets the newest one
 * (highest version number), as Triton does.
 */
export class ModelRegistry {
  private readonly byName = new Map<string, Map<string, Classifier>>();

  add(classifier: Classifier): void {
    const { name, version } = classifier.manifest;
    let versions = this.byName.get(name);
    if (!versions) {
      versions = new Map();
      this.byName.set(name, versions);
    }
    versions.set(version, classifier);
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
    const newest = [...versions.keys()].sort((a, b) => Number(b) - Number(a))[0];
    return versions.get(newest as string) as Classifier;
  }

  /** Every loaded classifier, models in name order and versions newest first. */
  list(): Classifier[] {
    return [...this.byName.keys()]
      .sort()
      .flatMap((name) =>
        [...(this.byName.get(name)?.values() ?? [])].sort(
          (a, b) => Number(b.manifest.version) - Number(a.manifest.version),
        ),
      );
  }

  get size(): number {
    return this.list().length;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.list().map((c) => c.close()));
    this.byName.clear();
  }
}
