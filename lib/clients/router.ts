import {
  AckMessagesInput,
  AckMessagesOutput,
  FetchEventsInput,
  FetchEventsOutput,
  FetchInboxInput,
  FetchInboxOutput,
  PublishEventInput,
  PublishEventOutput,
  SendMessageInput,
  SendMessageOutput,
  SendMessagesInput,
  SendMessagesOutput,
  SubscribeTopicInput,
  SubscribeTopicOutput,
} from '../../schemas/router/tools.ts';
import { contract, defineClient } from './typed-client.ts';

/** The router's tools other Plexus parts call. */
export const routerClient = defineClient('router', {
  sendMessage: contract('send_message', SendMessageInput, SendMessageOutput),
  sendMessages: contract('send_messages', SendMessagesInput, SendMessagesOutput),
  fetchInbox: contract('fetch_inbox', FetchInboxInput, FetchInboxOutput),
  ackMessages: contract('ack_messages', AckMessagesInput, AckMessagesOutput),
  publishEvent: contract('publish_event', PublishEventInput, PublishEventOutput),
  fetchEvents: contract('fetch_events', FetchEventsInput, FetchEventsOutput),
  subscribeTopic: contract('subscribe_topic', SubscribeTopicInput, SubscribeTopicOutput),
  unsubscribeTopic: contract('unsubscribe_topic', SubscribeTopicInput, SubscribeTopicOutput),
});

export type RouterClient = ReturnType<typeof routerClient>;
