import {
  AckMessagesInput,
  AckMessagesOutput,
  FetchEventsInput,
  FetchEventsOutput,
  FetchInboxInput,
  FetchInboxOutput,
  FetchInboxRawOutput,
  GetInboxDepthsInput,
  GetInboxDepthsOutput,
  PublishEventInput,
  PublishEventOutput,
  PublishInput,
  PublishOutput,
  ReceiveMessagesInput,
  ReceiveMessagesOutput,
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
  /** The same page with each envelope left for the caller to check on its own. */
  fetchInboxRaw: contract('fetch_inbox', FetchInboxInput, FetchInboxRawOutput),
  ackMessages: contract('ack_messages', AckMessagesInput, AckMessagesOutput),
  receiveMessages: contract('receive_messages', ReceiveMessagesInput, ReceiveMessagesOutput),
  publish: contract('publish', PublishInput, PublishOutput),
  publishEvent: contract('publish_event', PublishEventInput, PublishEventOutput),
  fetchEvents: contract('fetch_events', FetchEventsInput, FetchEventsOutput),
  getInboxDepths: contract('get_inbox_depths', GetInboxDepthsInput, GetInboxDepthsOutput),
  subscribeTopic: contract('subscribe_topic', SubscribeTopicInput, SubscribeTopicOutput),
  unsubscribeTopic: contract('unsubscribe_topic', SubscribeTopicInput, SubscribeTopicOutput),
});

export type RouterClient = ReturnType<typeof routerClient>;
