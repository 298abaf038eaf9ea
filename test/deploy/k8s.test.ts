import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, PersistentVolumeClaim, Secret, Service } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';
import { applyEnv, parseHubConfig } from '../../hub/config.ts';
import { coreServerNames } from '../../servers/catalog.ts';
import { parseServeArgs } from '../../servers/serve-cli.ts';
import { requireTool } from '../helpers/tools.ts';

/**
 * deploy/k8s rendered as kubectl renders it (`kubectl kustomize`, Debian's kubernetes-client), each object
 * validated against the Kubernetes API schemas (kubernetes-models), then read for what the deployment
 * promises: probes, replicas, budget, autoscaler, a Deployment per core server, the service token from a
 * Secret, only the hub reachable, a migrate Job, StatefulSets in the dev overlay.
 */

const K8S = path.resolve(import.meta.dirname, '../../deploy/k8s');

/** The Kubernetes schema of every kind the manifests may use; any other kind fails the test. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'networking.k8s.io/v1/Ingress': Ingress,
};

interface Container {
  name: string;
  args?: string[];
  env?: { name: string; value?: string }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name: string; containerPort: number }[];
  livenessProbe?: { httpGet?: { path: string } };
  readinessProbe?: { httpGet?: { path: string } };
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}
type Workload = K8sObject & {
  spec: {
    replicas?: number;
    template: {
      spec: { containers: Container[]; volumes?: { name: string; persistentVolumeClaim?: unknown }[] };
    };
  };
};

function render(t: TestContext, kubectl: string, overlay: string): K8sObject[] {
  const text = execFileSync(kubectl, ['kustomize', path.join(K8S, 'overlays', overlay)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const objects = parseAllDocuments(text).map((doc) => doc.toJS() as K8sObject);
  // kustomize folds long base64 values over lines; the API server's decoder skips the line breaks.
  for (const object of objects) {
    if (object.kind !== 'Secret' || !object.data) continue;
    for (const [key, value] of Object.entries(object.data)) object.data[key] = value.replace(/\s+/g, '');
  }
  assert.ok(objects.length > 0, `${overlay} renders nothing`);
  for (const object of objects) {
    const id = `${overlay}: ${object.kind}/${object.metadata.name}`;
    const Model = MODELS[`${object.apiVersion}/${object.kind}`];
    assert.ok(Model, `${id}: no Kubernetes schema known for ${object.apiVersion} ${object.kind}`);
    try {
      new Model(object as never).validate();
    } catch (error) {
      assert.fail(`${id} does not match the Kubernetes schema: ${(error as Error).message}`);
    }
    if (object.kind !== 'Namespace') assert.equal(object.metadata.namespace, 'plexus', `${id}: namespace`);
  }
  t.diagnostic(`${overlay}: ${objects.length} objects valid`);
  return objects;
}

function find<T extends K8sObject = K8sObject>(objects: K8sObject[], kind: string, name: string): T {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  assert.ok(found, `${kind}/${name} missing`);
  return found as T;
}

function hubContainer(objects: K8sObject[]): Container {
  const hub = find<Workload>(objects, 'Deployment', 'plexus-hub');
  const container = hub.spec.template.spec.containers.find((c) => c.name === 'hub');
  assert.ok(container);
  return container;
}

/** The environment a container gets from the overlay's ConfigMaps and its own `env` (Secrets left out). */
function envOf(objects: K8sObject[], container: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) Object.assign(env, find(objects, 'ConfigMap', source.configMapRef.name).data);
  }
  for (const entry of container.env ?? []) if (entry.value !== undefined) env[entry.name] = entry.value;
  return env;
}

function checkHub(objects: K8sObject[]): void {
  const container = hubContainer(objects);
  assert.equal(container.livenessProbe?.httpGet?.path, '/healthz');
  assert.equal(container.readinessProbe?.httpGet?.path, '/readyz');
  // The public URL the hub serves is the host the Ingress routes, over TLS.
  const publicUrl = new URL(envOf(objects, container)['PLEXUS_PUBLIC_URL'] ?? '');
  const ingress = find(objects, 'Ingress', 'plexus-hub').spec as {
    tls: { hosts: string[] }[];
    rules: { host: string }[];
  };
  assert.equal(publicUrl.protocol, 'https:');
  // The hub's plexus.json is valid config and serves metrics for the scrape port the pod declares.
  const file = find(objects, 'ConfigMap', 'plexus-hub-config').data?.['plexus.json'] ?? '';
  const { metrics } = parseHubConfig(JSON.parse(file));
  assert.equal(metrics.host, '0.0.0.0');
  assert.equal(container.ports?.find((p) => p.name === 'metrics')?.containerPort, metrics.port);
  assert.deepEqual(
    ingress.rules.map((r) => r.host),
    [publicUrl.hostname],
  );
  assert.ok(ingress.tls[0]?.hosts.includes(publicUrl.hostname));
}

/** Only the hub is reachable from outside: everything is denied but what a policy admits from Plexus pods. */
function checkNetworkPolicies(objects: K8sObject[]): void {
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy') as (K8sObject & {
    spec: {
      podSelector: { matchLabels?: Record<string, string> };
      ingress?: { from?: unknown[] }[];
    };
  })[];
  const denyAll = policies.find((p) => Object.keys(p.spec.podSelector).length === 0);
  assert.ok(denyAll && !denyAll.spec.ingress, 'a default-deny policy covers every pod');
  for (const policy of policies) {
    const open = (policy.spec.ingress ?? []).some((rule) => !rule.from);
    const hubOnly = policy.spec.podSelector.matchLabels?.['app.kubernetes.io/component'] === 'hub';
    assert.ok(
      !open || hubOnly,
      `${policy.metadata.name} admits traffic from anywhere to pods other than the hub`,
    );
  }
  // The Services other than the hub's stay inside the cluster.
  for (const service of objects.filter((o) => o.kind === 'Service'))
    assert.ok(['ClusterIP', undefined].includes(service.spec?.['type'] as string), service.metadata.name);
}

function checkScaledOut(objects: K8sObject[]): void {
  const hub = find<Workload>(objects, 'Deployment', 'plexus-hub');
  assert.ok((hub.spec.replicas ?? 1) >= 2, 'the hub runs replicas');
  const budget = find(objects, 'PodDisruptionBudget', 'plexus-hub').spec as {
    minAvailable: number;
    selector: { matchLabels: Record<string, string> };
  };
  assert.equal(budget.minAvailable, 1);
  assert.equal(budget.selector.matchLabels['app.kubernetes.io/component'], 'hub');
  const scaler = find(objects, 'HorizontalPodAutoscaler', 'plexus-hub').spec as {
    scaleTargetRef: { kind: string; name: string };
    minReplicas: number;
  };
  assert.deepEqual(scaler.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'plexus-hub' });
  assert.ok(scaler.minReplicas >= 2);

  // The hub's environment is valid hub config mounting every core server by its Service's URL.
  const hubEnv = envOf(objects, hubContainer(objects));
  const config = parseHubConfig(applyEnv({}, hubEnv));
  for (const name of coreServerNames()) {
    const deployment = find<Workload>(objects, 'Deployment', `plexus-${name}`);
    const container = deployment.spec.template.spec.containers[0] as Container;
    const env = envOf(objects, container);
    const options = parseServeArgs((container.args ?? []).slice(1), env);
    assert.equal(container.args?.[0], 'serve');
    assert.equal(options.name, name);
    assert.equal(options.mode, 'http');
    assert.equal(options.host, '0.0.0.0');
    const url = new URL(config.servers[name]?.url ?? 'http://missing');
    assert.equal(url.hostname, `plexus-${name}`, `the hub mounts ${name} through its Service`);
    assert.equal(url.port, String(options.port));
    const service = find(objects, 'Service', `plexus-${name}`).spec as { ports: { port: number }[] };
    assert.equal(service.ports[0]?.port, options.port);
    assert.ok(env['PLEXUS_ALLOWED_HOSTS']?.split(',').includes(`plexus-${name}`));
    for (const [sibling, siblingUrl] of options.siblings)
      assert.equal(new URL(siblingUrl).hostname, `plexus-${sibling}`);
    // The service token (and the store URLs) come from the Secret, never from a ConfigMap.
    assert.ok(
      container.envFrom?.some((s) => s.secretRef?.name === 'plexus-secrets'),
      `${name} reads the Secret`,
    );
    assert.equal(env['PLEXUS_SERVICE_TOKEN'], undefined);
  }
  assert.ok(hubContainer(objects).envFrom?.some((s) => s.secretRef?.name === 'plexus-secrets'));
  const migrate = find(objects, 'Job', 'plexus-migrate').spec as {
    template: { spec: { containers: Container[] } };
  };
  assert.deepEqual(migrate.template.spec.containers[0]?.args, ['migrate']);
}

test('deploy/k8s overlays render with kubectl kustomize and every object matches the Kubernetes schemas', async (t) => {
  const kubectl = requireTool(t, 'kubectl', 'kubernetes-client');
  if (!kubectl) return;

  await t.test('embedded: one hub, every server in it, SQLite on a persistent volume', (t) => {
    const objects = render(t, kubectl, 'embedded');
    checkHub(objects);
    checkNetworkPolicies(objects);
    const hub = find<Workload>(objects, 'Deployment', 'plexus-hub');
    assert.equal(hub.spec.replicas, 1);
    assert.equal((hub.spec as { strategy?: { type: string } }).strategy?.type, 'Recreate');
    const data = hub.spec.template.spec.volumes?.find((v) => v.name === 'data');
    assert.deepEqual(data?.persistentVolumeClaim, { claimName: 'plexus-hub-data' });
    find(objects, 'PersistentVolumeClaim', 'plexus-hub-data');
    for (const name of coreServerNames())
      assert.ok(!objects.some((o) => o.metadata.name === `plexus-${name}`), `${name} runs inside the hub`);
  });

  await t.test(
    'scaled-out: hub replicas with a budget and an autoscaler, a Deployment per core server',
    (t) => {
      const objects = render(t, kubectl, 'scaled-out');
      checkHub(objects);
      checkNetworkPolicies(objects);
      checkScaledOut(objects);
      // PostgreSQL and Redis are external: their URLs come from a Secret created beside the overlay.
      assert.ok(!objects.some((o) => o.kind === 'StatefulSet' || o.kind === 'Secret'));
    },
  );

  await t.test('dev: scaled-out with PostgreSQL and Redis as StatefulSets and a generated Secret', (t) => {
    const objects = render(t, kubectl, 'dev');
    checkHub(objects);
    checkNetworkPolicies(objects);
    checkScaledOut(objects);
    find(objects, 'StatefulSet', 'plexus-postgres');
    find(objects, 'StatefulSet', 'plexus-redis');
    const secret = find(objects, 'Secret', 'plexus-secrets');
    const value = (key: string) => Buffer.from(secret.data?.[key] ?? '', 'base64').toString();
    assert.equal(new URL(value('PLEXUS_DATABASE_URL')).hostname, 'plexus-postgres');
    assert.equal(new URL(value('PLEXUS_REDIS_URL')).hostname, 'plexus-redis');
    // The token passes the hub's own check, and the vault key is the 32 bytes the hub expects.
    assert.equal(
      parseHubConfig({ serviceToken: value('PLEXUS_SERVICE_TOKEN') }).serviceToken,
      value('PLEXUS_SERVICE_TOKEN'),
    );
    assert.equal(Buffer.from(value('identity-vault.key'), 'base64url').length, 32);
  });
});
