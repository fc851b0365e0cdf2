// Every command of the command line, in the order the help lists them.
import type { CommandSpec } from '../command.js';
import { gestaltCommands } from './gestalts.js';
import { keynodeCommands } from './keynode.js';
import { notificationCommands } from './notifications.js';
import { secretCommands } from './secrets.js';
import { vaultCommands } from './vaults.js';

export const commands: readonly CommandSpec[] = [...keynodeCommands, ...vaultCommands, ...secretCommands, ...gestaltCommands, ...notificationCommands].map(
  (c) => ({ usage: '', args: [0, 0], ...c }),
);
