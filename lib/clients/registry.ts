import {
  DispatchTaskInput,
  DispatchTaskOutput,
  FindAgentsInput,
  FindAgentsOutput,
  FindToolsInput,
  FindToolsOutput,
  GetRegistryInfoInput,
  GetRegistryInfoOutput,
  GetTaskInput,
  GetTaskOutput,
  GetTaskStatsInput,
  GetTaskStatsOutput,
  GetToolPackageInput,
  GetToolPackageOutput,
  HeartbeatInput,
  HeartbeatOutput,
  PublishToolInput,
  PublishToolOutput,
  RegisterAgentInput,
  RegisterAgentOutput,
  UpdateTaskInput,
  UpdateTaskOutput,
  WithdrawToolInput,
  WithdrawToolOutput,
} from '../../schemas/registry/tools.ts';
import { contract, defineClient } from './typed-client.ts';

/** The registry's tools other Plexus parts call. */
export const registryClient = defineClient('registry', {
  getRegistryInfo: contract('get_registry_info', GetRegistryInfoInput, GetRegistryInfoOutput),
  registerAgent: contract('register_agent', RegisterAgentInput, RegisterAgentOutput),
  heartbeat: contract('heartbeat', HeartbeatInput, HeartbeatOutput),
  findAgents: contract('find_agents', FindAgentsInput, FindAgentsOutput),
  dispatchTask: contract('dispatch_task', DispatchTaskInput, DispatchTaskOutput),
  getTask: contract('get_task', GetTaskInput, GetTaskOutput),
  updateTask: contract('update_task', UpdateTaskInput, UpdateTaskOutput),
  getTaskStats: contract('get_task_stats', GetTaskStatsInput, GetTaskStatsOutput),
  publishTool: contract('publish_tool', PublishToolInput, PublishToolOutput),
  findTools: contract('find_tools', FindToolsInput, FindToolsOutput),
  getToolPackage: contract('get_tool_package', GetToolPackageInput, GetToolPackageOutput),
  withdrawTool: contract('withdraw_tool', WithdrawToolInput, WithdrawToolOutput),
});

export type RegistryClient = ReturnType<typeof registryClient>;
