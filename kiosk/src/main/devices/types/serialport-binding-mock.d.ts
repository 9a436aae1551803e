/**
 * @serialport/binding-mock ships types, but its package.json "exports" has no "types" condition, so
 * NodeNext resolution cannot find them. Its MockBinding is the binding behind serialport's own
 * SerialPortMock, whose types resolve: borrow them from there.
 */
declare module '@serialport/binding-mock' {
  import type { SerialPortMock } from 'serialport';

  export type MockBindingInterface = typeof SerialPortMock.binding;
  export type MockPortBinding = Awaited<ReturnType<MockBindingInterface['open']>>;
  export const MockBinding: MockBindingInterface;
}
