import { z } from 'zod';
import { Did } from '../common.ts';
import { GroupName } from '../memory.ts';

export const Group = z.object({ name: GroupName, owner: Did, members: z.array(Did) });

export const CreateGroupInput = z.object({ name: GroupName });
export const GroupOutput = z.object({ group: Group });
export const GroupMemberInput = z.object({ group: GroupName, member: Did });
export const GroupMemberOutput = z.object({ group: Group, changed: z.boolean() });
export const ListGroupsInput = z.object({});
export const ListGroupsOutput = z.object({ groups: z.array(Group) });
