import '@testing-library/jest-dom';

// A component test renders material-table and waits on it in jsdom: seconds of CPU, more on two busy cores than
// jest's 5 s default allows (they timed out there, not failed).
jest.setTimeout(20_000);
