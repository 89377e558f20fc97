/** The libraries people use today for one model answer per record, one request each. */
import { openaiPLimitPeer } from './openai-p-limit.mjs';
import { langchainPeer } from './langchain.mjs';
import { aiSdkPeer } from './ai-sdk.mjs';

export { mlpredictPeer } from './mlpredict.mjs';
export const PER_RECORD_PEERS = [openaiPLimitPeer, langchainPeer, aiSdkPeer];
